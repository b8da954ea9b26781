#!/usr/bin/env bash
# Every test of the workspace against a throwaway PostgreSQL cluster (or $DATABASE_URL when
# set): the model's wasm32 build, dependency policy, the OpenAPI document fuzzed against the
# server, unit, property, integration, replica (nginx) and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."

source tests/pg.sh
# Durability is not under test here; speed is welcome.
AVA_PG_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" ava_pg_start

echo "== the UI builds for wasm32 (trunk, offline); the shell embeds ui/dist"
(cd ui && trunk build)

# The keychain tests talk to a real Secret Service: gnome-keyring, unlocked, in a private D-Bus
# session with its own data folder, so they never touch the user's own keyring. The
# end-to-end tests open the real app window on a private X server (Xvfb).
with_keychain() {
  local home
  home=$(mktemp -d /tmp/ava-keyring.XXXXXX)
  mkdir -p "$home/data/dbus-1/services" "$home/cache"
  # gnome-keyring can abort on a client's first request (an upstream race; see
  # crates/core/src/store/secret_service.rs). D-Bus then starts it again from its service file,
  # locked, and its password prompt would wait for ever on the private X server. This file, found
  # before the system's, starts it unlocked instead, as a login would.
  for name in org.freedesktop.secrets org.gnome.keyring; do
    printf '[D-BUS Service]\nName=%s\nExec=/bin/sh -c "printf test-pw | exec gnome-keyring-daemon --foreground --unlock --components=secrets"\n' \
      "$name" >"$home/data/dbus-1/services/$name.service"
  done
  local status=0
  env -u XDG_RUNTIME_DIR -u DBUS_SESSION_BUS_ADDRESS -u DISPLAY XDG_DATA_HOME="$home/data" XDG_CACHE_HOME="$home/cache" \
    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- sh -c 'printf test-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"' sh "$@" || status=$?
  # The app's D-Bus session may have started xdg-document-portal, whose FUSE mount under the
  # private cache can outlive the session for a moment: unmount it, and never fail on cleanup.
  fusermount -u "$home/cache/doc" 2>/dev/null || true
  rm -rf "$home" 2>/dev/null || true
  return $status
}

# Arguments (see below) run a subset of the cargo tests and nothing else.
if [ $# -eq 0 ]; then
  echo "== cargo deny: licences, bans, sources"
  cargo deny --config tests/deny.toml check licenses bans sources
  echo "== the OpenAPI document against the server (schemathesis, fixed seed)"
  bash tests/api-fuzz.sh
  # Docker cannot run here (no daemon, no base images): the files are linted, and the binary
  # they package is the one the tests build and run (its `healthcheck` included).
  echo "== container and compose files (hadolint, check-jsonschema)"
  venv=${AVA_TOOLS_DIR:-$HOME/.cache/ava-desktop/tools}/venv/bin
  "$venv/hadolint" --failure-threshold warning server/Dockerfile
  "$venv/check-jsonschema" --builtin-schema vendor.compose-spec server/compose.yaml
  echo "== the GitHub workflows (check-jsonschema, zizmor --offline)"
  "$venv/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
  "$venv/zizmor" --offline --config tests/zizmor.yml .github/workflows
  bash tests/cross-check.sh
  bash tests/windows-check.sh
  echo "== the design tokens' contrast (WCAG 2.1 1.4.3, 1.4.11)"
  python3 tests/contrast.py
fi

echo "== cargo test --workspace (with a private gnome-keyring and X server)"
# Arguments replace `--workspace` (e.g. `tests/test.sh -p ava-desktop --test e2e`).
# --no-fail-fast: one red test binary must not hide what the others would say.
if [ $# -gt 0 ]; then with_keychain cargo test "$@"; else with_keychain cargo test --workspace --no-fail-fast; fi
echo "== screenshots of every step in every language: ${CARGO_TARGET_DIR:-target}/e2e-screenshots"
