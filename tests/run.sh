#!/usr/bin/env bash
# Runs Ava locally: a PostgreSQL cluster kept in a data folder (created on first run), the
# onboarding API on http://127.0.0.1:8000, with AVA_DEMO=1 the Vapi and Twilio fakes (so
# everything can be tried with no network and no accounts), and the desktop app against them.
# Closing the window (or Ctrl-C) stops it all. AVA_NO_APP=1 runs only the API side.
set -euo pipefail
cd "$(dirname "$0")/.."
# Release builds of the UI run wasm-opt from the tools folder tests/setup.sh fills.
export PATH="${AVA_TOOLS_DIR:-$HOME/.cache/ava-desktop/tools}/node_modules/.bin:$PATH"

DEV_DIR=${AVA_DEV_DIR:-/var/tmp/ava-dev-$(id -un)}
PG_PORT=${AVA_PG_PORT:-54329}
BIND=${BIND:-127.0.0.1:8000}
mkdir -p "$DEV_DIR"

with_app=1
[ "${AVA_NO_APP:-0}" = 1 ] && with_app=0
target_dir=${CARGO_TARGET_DIR:-target}
bin=$target_dir/release
packages=(-p ava-server -p ava-fakes)
if [ "$with_app" = 1 ]; then
  # The shell embeds ui/dist at compile time, and any new file there relinks it (LTO: minutes
  # on 2 cores). So the UI is built only when its inputs changed since the release build that
  # wrote ui/dist, and only if ui/dist is still that build's (the test command writes a debug
  # one there).
  stamp=$target_dir/ui-release.stamp
  inputs() {
    find ui/src ui/locales ui/index.html ui/words.js ui/styles.css ui/Cargo.toml ui/Trunk.toml \
      crates/model crates/ipc Cargo.lock -type f -not -path '*/target/*' -print0 \
      | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
  }
  built() { find ui/dist -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1; }
  wanted="$(inputs)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted $(built)" ]; then
    echo "== the window's UI is up to date (ui/dist)"
  else
    echo "== building the window's UI (trunk, release: about a minute)"
    (cd ui && trunk build --release)
    mkdir -p "$target_dir"
    echo "$wanted $(built)" > "$stamp"
  fi
  packages+=(-p ava-desktop)
fi
# One cargo invocation for everything: separate ones would each settle shared dependencies'
# features differently and rebuild them at every start.
echo "== building the app, the API and the fakes (release; the first time takes ~10 min on 2 cores, then seconds)"
cargo build --release "${packages[@]}"

source tests/pg.sh
pg_bin=$(ava_pg_bin)
as=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$DEV_DIR"
  as=(runuser -u postgres --)
fi
if [ ! -d "$DEV_DIR/pg" ]; then
  "${as[@]}" "$pg_bin/initdb" -D "$DEV_DIR/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
"${as[@]}" "$pg_bin/pg_ctl" -D "$DEV_DIR/pg" -l "$DEV_DIR/pg.log" -w \
  -o "-p $PG_PORT -k $DEV_DIR -c listen_addresses=127.0.0.1" start >/dev/null
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "${as[@]}" "$pg_bin/pg_ctl" -D "$DEV_DIR/pg" -m fast -w stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap "exit 130" INT TERM
psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'ava'" | grep -q 1 \
  || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE ava"

if [ "${AVA_DEMO:-0}" = 1 ]; then
  "$bin/ava-fakes" &
  pids+=($!)
  export VAPI_BASE_URL=http://127.0.0.1:8010 TWILIO_BASE_URL=http://127.0.0.1:8011
fi

DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/ava" BIND="$BIND" AVA_DATA_DIR="$DEV_DIR/server" \
  "$bin/ava-server" &
pids+=($!)
echo "Ava API on http://$BIND (OpenAPI: http://$BIND/api/v1/openapi.json); Ctrl-C to stop"
if [ -z "${SMTP_URL:-}" ]; then
  # No SMTP relay: the server writes each mail (a reset code, a notice) as a file here.
  echo "mail (no SMTP_URL): each one is written as an .eml file in $DEV_DIR/server/mail"
fi
if [ "$with_app" = 0 ]; then
  wait "${pids[@]}"
  exit 0
fi
for _ in $(seq 100); do
  curl -fs "http://$BIND/healthz" >/dev/null && break
  kill -0 "${pids[-1]}" 2>/dev/null || { echo "the API did not start" >&2; exit 1; }
  sleep 0.1
done
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "no display: the desktop app needs one (or run it under xvfb-run)" >&2
  exit 1
fi
echo "opening Ava Desktop (draft in ${AVA_APP_DATA_DIR:-the OS app-data folder})"
env AVA_API_URL="http://$BIND" ${AVA_APP_DATA_DIR:+AVA_DATA_DIR="$AVA_APP_DATA_DIR"} "$bin/ava-desktop"
