#!/usr/bin/env bash
# `cargo check` of the core and the shell (`ava-desktop`: Tauri, WKWebView, the plugins) for
# macOS from this Linux machine, so the keychain's apple-native code and every cfg'd path of the
# shell compile on every change (Windows is linked and started instead: tests/windows-check.sh);
# CI on real macOS and Windows runners also builds and unit-tests the core
# (.github/workflows/ci.yml). `check` never links, so no SDK is needed for the Rust side.
#
# ring (under rustls) compiles C in its build script even for `check`. For macOS there is no
# SDK here: clang compiles ring's C freestanding, with
# four-line stand-ins for the three SDK headers it includes; those objects are never linked or
# run, they only let the build script finish.
set -euo pipefail
cd "$(dirname "$0")/.."
stubs=$(mktemp -d)
trap 'rm -rf "$stubs"' EXIT
cat >"$stubs/TargetConditionals.h" <<'H'
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_SIMULATOR 0
H
echo '#define assert(x) ((void)0)' >"$stubs/assert.h"
cat >"$stubs/string.h" <<'H'
#include <stddef.h>
void *memcpy(void *, const void *, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
int memcmp(const void *, const void *, size_t);
H
echo "== cargo check -p ava-core -p ava-desktop --target x86_64-apple-darwin"
CC_x86_64_apple_darwin=clang CFLAGS_x86_64_apple_darwin="-ffreestanding -nostdlibinc -isystem $stubs" \
  cargo check -q --locked -p ava-core -p ava-desktop --target x86_64-apple-darwin
