#!/usr/bin/env bash
# The API benchmark: a throwaway PostgreSQL (default durability), the release ava-server, the
# PATCH /api/v1/user/profile load (server/benches/profile_patch.rs), and pgbench's equivalent
# single-row UPDATE at the same concurrency on the same machine and database, in alternating
# rounds (both drift as the table ages); prints every round, the medians and their ratio. The
# sign-up limit is off: the rig registers its users from one address.
# Usage: tests/bench.sh [USERS] [CONCURRENCY] [SECONDS] [ROUNDS]   (defaults 64 32 10 3)
# AVA_BENCH_ROUTE=poll measures "anything new?" instead: GET /user/me answered 304 against
# pgbench's equivalent indexed single-row SELECT of the revision (`tests/bench-api.lua`).
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-64}
CONCURRENCY=${2:-32}
SECONDS_RUN=${3:-10}
ROUNDS=${4:-3}

# wrk drives the load (Debian's package; only this script needs it).
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
fi
unset DATABASE_URL
source tests/pg.sh
ava_pg_start

cargo build --release -p ava-server --bin ava-server
cargo bench -p ava-server --bench profile_patch --no-run

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
data=$(mktemp -d)
# The per-account rate stays on (its check is part of every request's cost) but so high that
# the rig's 64 accounts at thousands of requests a second never reach it.
BIND=127.0.0.1:$port AVA_DATA_DIR=$data RUST_LOG=warn REGISTER_MAX_PER_HOUR=0 MAX_REQUESTS_PER_MINUTE=100000000 \
  DATABASE_MAX_CONNECTIONS=${DATABASE_MAX_CONNECTIONS:-8} \
  ${AVA_SERVER_WRAP:-} "${CARGO_TARGET_DIR:-target}/release/ava-server" &
server=$!
script=$(mktemp)
tokens=$(mktemp)
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data" "$script" "$tokens"; ava_pg_stop' EXIT
curl -sf --retry 50 --retry-connrefused --retry-delay 0 "http://127.0.0.1:$port/healthz" >/dev/null

# The same write straight to Postgres: one user row updated and returned per transaction.
route=${AVA_BENCH_ROUTE:-patch}
if [ "$route" = poll ]; then
  cat >"$script" <<SQL
\set id random(1, $USERS)
SELECT revision FROM users WHERE id = :id AND is_active;
SQL
else
  cat >"$script" <<SQL
\set id random(1, $USERS)
UPDATE users SET full_name = 'bench ' || :id, updated_at = now() WHERE id = :id RETURNING full_name, organization_name, industry, timezone, locale, marketing_opt_in, accept_terms;
SQL
fi
pg_port=$(psql "$DATABASE_URL" -tAc 'SHOW port')

# The load comes from wrk (C, like pgbench's client) unless AVA_BENCH_CLIENT=rust picks the
# bench binary's own reqwest loop, which spends more of the shared 2 cores on itself.
client=${AVA_BENCH_CLIENT:-wrk}
bench() { cargo bench -q -p ava-server --bench profile_patch -- --url "http://127.0.0.1:$port" "$@"; }
if [ "$client" = wrk ]; then
  bench --users "$USERS" --tokens-out "$tokens"
fi
register=--users
api_rates=() pg_rates=()
for round in $(seq 1 "$ROUNDS"); do
  if [ "$client" = wrk ]; then
    line=$(wrk -t 2 -c "$CONCURRENCY" -d "${SECONDS_RUN}s" -s tests/bench-api.lua "http://127.0.0.1:$port" -- "$tokens" "$route" | tail -n 1)
  else
    line=$(bench $register "$USERS" --concurrency "$CONCURRENCY" --seconds "$SECONDS_RUN")
    register=--reuse-users
  fi
  echo "round $round: $route $line"
  api_rates+=("$(sed -E 's/.* rps=([0-9]+).*/\1/' <<<"$line")")
  tps=$(pgbench -n -M prepared -h 127.0.0.1 -p "$pg_port" -U postgres -c "$CONCURRENCY" -j 2 \
    -T "$SECONDS_RUN" -f "$script" postgres 2>/dev/null | sed -nE 's/^tps = ([0-9]+).*/\1/p')
  echo "round $round: pgbench single-row $( [ "$route" = poll ] && echo SELECT || echo UPDATE ) clients=$CONCURRENCY seconds=$SECONDS_RUN tps=$tps"
  pg_rates+=("$tps")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
api=$(median "${api_rates[@]}")
pg=$(median "${pg_rates[@]}")
echo "median: ava-server ${api} req/s, pgbench ${pg} tps, ratio $(awk -v a="$api" -v p="$pg" 'BEGIN {printf "%.2f", a/p}') (target >= 0.50)"
