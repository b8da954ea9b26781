#!/usr/bin/env bash
# Builds the Linux installers (.deb and .rpm) with the Tauri bundler into
# $CARGO_TARGET_DIR/release/bundle/. Installs tauri-cli (pinned) when missing; needs what
# tests/setup.sh installs (trunk, wasm-bindgen, binaryen's wasm-opt). AppImage is not built:
# its tools are downloaded from GitHub at bundle time, which this network does not allow.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${AVA_TOOLS_DIR:-$HOME/.cache/ava-desktop/tools}/node_modules/.bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ava-desktop/target}
# One tauri-cli everywhere (.github/workflows/release.yml pins the same).
if ! cargo install --list | grep -qx "tauri-cli v2.12.4:"; then
  cargo install tauri-cli --version 2.12.4 --locked
fi
# The bundler wants tauri.conf.json beside the app crate (README: Layout).
(cd src-tauri && cargo tauri build --bundles deb,rpm)
ls -l "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb "$CARGO_TARGET_DIR"/release/bundle/rpm/*.rpm
