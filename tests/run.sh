#!/usr/bin/env bash
# Runs Ava locally: a PostgreSQL cluster kept in a data folder (created on first run), the
# onboarding API on http://127.0.0.1:8000, and with AVA_DEMO=1 the Vapi and Twilio fakes, so
# everything can be tried with no network and no accounts. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."

DEV_DIR=${AVA_DEV_DIR:-/var/tmp/ava-dev-$(id -un)}
PG_PORT=${AVA_PG_PORT:-54329}
BIND=${BIND:-127.0.0.1:8000}
mkdir -p "$DEV_DIR"

cargo build --release -p ava-server --bin ava-server
[ "${AVA_DEMO:-0}" = 1 ] && cargo build --release -p ava-fakes --bin ava-fakes
bin=${CARGO_TARGET_DIR:-target}/release

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

export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/ava" BIND AVA_DATA_DIR="$DEV_DIR/server"
"$bin/ava-server" &
pids+=($!)
echo "Ava API on http://$BIND (OpenAPI: http://$BIND/api/v1/openapi.json); Ctrl-C to stop"
wait "${pids[@]}"
