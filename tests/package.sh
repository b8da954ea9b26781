#!/usr/bin/env bash
# Builds the Linux installers (.deb and .rpm) with the Tauri bundler into
# $CARGO_TARGET_DIR/release/bundle/ and prints their sizes. Installs tauri-cli (pinned) when
# missing; needs what tests/setup.sh installs (trunk, wasm-bindgen, binaryen's wasm-opt).
# AppImage is not built: its tools are downloaded from GitHub at bundle time, which this network
# does not allow.
#
# The binary is stripped by the release profile (Cargo.toml); the sizes without that are
# `CARGO_PROFILE_RELEASE_STRIP=false tests/package.sh` (docs/releases.md has both). The .rpm is
# rebuilt with rpmbuild for the headers the bundler cannot write
# (src-tauri/packaging/rpm-rebuild.sh) and signed with TAURI_SIGNING_RPM_KEY when set (the
# release workflow's secret), else with a throwaway key made here, so that what is checked is a
# signed package.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${AVA_TOOLS_DIR:-$HOME/.cache/ava-desktop/tools}/node_modules/.bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ava-desktop/target}
source tests/apt.sh
# rpmbuild, rpmsign and cpio for the .rpm's rebuild.
apt_install_missing rpm cpio gnupg
# One tauri-cli everywhere (.github/workflows/release.yml pins the same).
if ! cargo install --list | grep -qx "tauri-cli v2.12.4:"; then
  cargo install tauri-cli --version 2.12.4 --locked
fi
bash src-tauri/packaging/generate.sh
if [ -z "${TAURI_SIGNING_RPM_KEY:-}" ]; then
  export GNUPGHOME=$CARGO_TARGET_DIR/rpm-signing-key
  if [ ! -f "$GNUPGHOME/key.asc" ]; then
    mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
    gpg --batch --quiet --passphrase '' --quick-gen-key "Ava test packages <desktop@ava.ai>" rsa3072 sign never
    gpg --batch --quiet --armor --export-secret-keys >"$GNUPGHOME/key.asc"
  fi
  TAURI_SIGNING_RPM_KEY=$(cat "$GNUPGHOME/key.asc")
  export TAURI_SIGNING_RPM_KEY
fi
bundle="$CARGO_TARGET_DIR/release/bundle"
rm -rf "$bundle/deb" "$bundle/rpm"
# The bundler wants tauri.conf.json beside the app crate (docs/architecture.md).
(cd src-tauri && cargo tauri build --bundles deb,rpm)
bash src-tauri/packaging/rpm-rebuild.sh "$bundle/rpm"
echo "== sizes (KiB; binary stripped: ${CARGO_PROFILE_RELEASE_STRIP:-true})"
du -k "$CARGO_TARGET_DIR/release/ava-desktop" "$bundle"/deb/*.deb "$bundle"/rpm/*.rpm | sed "s|$CARGO_TARGET_DIR/||"
