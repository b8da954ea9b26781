#!/usr/bin/env bash
# Every test of the workspace against a throwaway PostgreSQL cluster (or $DATABASE_URL when
# set): the model's wasm32 build, unit, property and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

source tests/pg.sh
# Durability is not under test here; speed is welcome.
AVA_PG_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" ava_pg_start

echo "== ava-model builds for wasm32 (the UI's target)"
cargo check -p ava-model --target wasm32-unknown-unknown

echo "== cargo test --workspace"
cargo test --workspace
