#!/usr/bin/env bash
# Core benchmarks: edit → durable draft (p50/p99, write time, bytes per edit) and 1,000
# offline edits → requests on reconnect, against a throwaway PostgreSQL with default durability.
set -euo pipefail
cd "$(dirname "$0")/.."
unset DATABASE_URL
source tests/pg.sh
ava_pg_start
cargo bench -p ava-core --bench core
