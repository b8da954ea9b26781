#!/usr/bin/env bash
# The OpenAPI document against the running server: schemathesis with every check, a fixed seed
# and a bounded number of examples per operation (repeatable, about a minute). Needs
# DATABASE_URL (tests/test.sh sets it) and the debug ava-server.
# Usage: tests/api-fuzz.sh [SEED] [EXAMPLES]   (defaults 1 30)
set -euo pipefail
cd "$(dirname "$0")/.."
SEED=${1:-1}
EXAMPLES=${2:-30}
: "${DATABASE_URL:?run from tests/test.sh, or set DATABASE_URL}"

cargo build -q -p ava-server --bin ava-server -p ava-fakes --bin ava-fakes
bin=${CARGO_TARGET_DIR:-target}/debug
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# A database of its own, so the run starts from an empty schema whatever ran before.
db="ava_fuzz_$$"
admin=${DATABASE_URL%/*}/postgres
psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
port=$(free_port)
vapi_port=$(free_port)
data=$(mktemp -d)
# Assistant creation talks to the Vapi fake, never to the internet.
FAKE_VAPI_ADDR=127.0.0.1:$vapi_port FAKE_TWILIO_ADDR=127.0.0.1:$(free_port) "$bin/ava-fakes" >/dev/null &
fakes=$!
# Limits off: the run signs in and up, sends requests and makes idempotency keys far more
# often than any person would, all from one address and one account.
DATABASE_URL=${DATABASE_URL%/*}/$db BIND=127.0.0.1:$port AVA_DATA_DIR=$data RUST_LOG=warn \
  REGISTER_MAX_PER_HOUR=0 LOGIN_MAX_FAILURES=1000000 MAX_REQUESTS_PER_MINUTE=0 \
  MAX_IDEMPOTENCY_KEYS_PER_USER=1000000 VAPI_BASE_URL=http://127.0.0.1:$vapi_port \
  "$bin/ava-server" &
server=$!
trap 'kill $server $fakes 2>/dev/null || true; wait $server $fakes 2>/dev/null || true; rm -rf "$data"; psql "$admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
base="http://127.0.0.1:$port"
curl -sf --retry 50 --retry-connrefused --retry-delay 0 "$base/healthz" >/dev/null
token=$(curl -sf -XPOST "$base/api/v1/auth/register" -H 'content-type: application/json' \
  -d '{"email":"fuzz@example.com","password":"correct horse"}' |
  python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
curl -sf -XPATCH "$base/api/v1/user/profile" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{"accept_terms": true}' >/dev/null
curl -sf -XPOST "$base/api/v1/vapi-settings" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{"vapi_api_key": "demo-vapi-private-key-1234"}' >/dev/null
st=${AVA_TOOLS_DIR:-$HOME/.cache/ava-desktop/tools}/venv/bin/st
# From the scratch folder: schemathesis keeps a cache of what it found in the working directory.
config=$PWD/tests/schemathesis.toml
cd "$data"
"$st" --config-file "$config" run "$base/api/v1/openapi.json" --url "$base" \
  -H "Authorization: Bearer $token" --checks all --seed "$SEED" --max-examples "$EXAMPLES" \
  --no-color
