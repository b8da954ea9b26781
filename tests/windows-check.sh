#!/usr/bin/env bash
# The Windows shell linked and started, not only type-checked: `ava-desktop.exe` is linked for
# x86_64-pc-windows-gnu with Debian's mingw-w64, put in a folder with the WebView2Loader.dll that
# webview2-com-sys ships, and started under Wine 8 (Debian's wine64, a fresh WINEPREFIX, no
# Mono or Gecko, a private X server). Wine has no WebView2 runtime, so the app must load every
# DLL it imports, find no runtime and say so: "the WebView2 runtime was not found", exit status
# 1. A crash (page fault, unhandled exception), a missing DLL or a hang fails this script.
# What it cannot prove (the msvc build, the NSIS/MSI installers, the updater): docs/releases.md.
# Part of the test command (about 1.5 min with a warm target dir, most of it the link).
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/apt.sh
apt_install_missing gcc-mingw-w64-x86-64 wine64 xvfb xauth
if ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
  rustup target add x86_64-pc-windows-gnu
fi
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
# The shell embeds ui/dist at compile time.
if [ ! -f ui/dist/index.html ]; then
  (cd ui && trunk build)
fi

echo "== cargo build -p ava-desktop --target x86_64-pc-windows-gnu (mingw-w64 links it)"
cargo build --locked -p ava-desktop --target x86_64-pc-windows-gnu
out=$target_dir/x86_64-pc-windows-gnu/debug
loader=$(ls -t "$out"/build/webview2-com-sys-*/out/x64/WebView2Loader.dll | head -n 1)

work=$(mktemp -d /tmp/ava-windows.XXXXXX)
trap 'wineserver -k 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir "$work/app"
cp "$out/ava-desktop.exe" "$loader" "$work/app/"
# Rust's std has drawn its random numbers from ProcessPrng in bcryptprimitives.dll since 1.78;
# every Windows 10 and 11 has that DLL, Wine 8 does not (it came with Wine 9). For Wine only, a
# stand-in with that one function over RtlGenRandom, built here with mingw-w64, sits beside the
# exe; nothing else of Windows is stood in for.
cat >"$work/prng.c" <<'C'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x7fffffff ? 0x7fffffff : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
C
x86_64-w64-mingw32-gcc -shared -O2 -o "$work/app/bcryptprimitives.dll" "$work/prng.c" -ladvapi32
export WINEPREFIX=$work/prefix WINEARCH=win64 WINEDLLOVERRIDES="mscoree,mshtml=" WINEDEBUG=err+all
echo "== a fresh WINEPREFIX ($(wine --version))"
timeout 300 xvfb-run -a wineboot --init >"$work/boot.log" 2>&1
echo "== ava-desktop.exe under Wine, at most 120 s"
status=0
timeout 120 xvfb-run -a wine "$work/app/ava-desktop.exe" >"$work/stdout" 2>"$work/stderr" || status=$?
# Debian's wine64 alone says on every start that 32-bit Wine is missing: not ours.
grep -v -e "wine32 is missing" -e "multiarch needs" -e "dpkg --add-architecture" -e "apt-get install wine32" \
  "$work/stdout" "$work/stderr" || true
fail() {
  echo "windows-check: FAILED: $*" >&2
  exit 1
}
[ "$status" -ne 124 ] || fail "ava-desktop.exe did not exit within 120 s"
if grep -Eiq "page fault|unhandled exception|Backtrace|panicked|could not load|not found.*\.dll|import_dll" "$work/stderr"; then
  fail "ava-desktop.exe crashed or missed a DLL"
fi
grep -q "the WebView2 runtime was not found" "$work/stderr" || fail "no WebView2 error on stderr"
[ "$status" -eq 1 ] || fail "exit status $status, not 1"
echo "windows-check: ava-desktop.exe loaded its DLLs, found no WebView2 runtime and exited 1"
