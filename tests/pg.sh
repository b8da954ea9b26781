# Source this file: it starts a throwaway PostgreSQL cluster on a free loopback port (unless
# DATABASE_URL is already set), exports DATABASE_URL, and stops and removes the cluster when the
# sourcing shell exits. Extra server settings can be passed in AVA_PG_OPTIONS.

ava_pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ]; then
    echo "PostgreSQL server binaries not found: run tests/setup.sh" >&2
    return 1
  fi
  echo "$bin"
}

ava_pg_start() {
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "using DATABASE_URL from the environment"
    return 0
  fi
  local bin port
  bin=$(ava_pg_bin) || return 1
  AVA_PG_DIR=$(mktemp -d /tmp/ava-pg.XXXXXX)
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  AVA_PG_AS=()
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root.
    chown postgres: "$AVA_PG_DIR"
    AVA_PG_AS=(runuser -u postgres --)
  fi
  "${AVA_PG_AS[@]}" "$bin/initdb" -D "$AVA_PG_DIR/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
  "${AVA_PG_AS[@]}" "$bin/pg_ctl" -D "$AVA_PG_DIR/data" -l "$AVA_PG_DIR/pg.log" -w \
    -o "-p $port -k $AVA_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 ${AVA_PG_OPTIONS:-}" start >/dev/null
  AVA_PG_BIN=$bin
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  trap ava_pg_stop EXIT
  echo "throwaway PostgreSQL on port $port"
}

ava_pg_stop() {
  if [ -n "${AVA_PG_DIR:-}" ] && [ -d "$AVA_PG_DIR" ]; then
    "${AVA_PG_AS[@]}" "$AVA_PG_BIN/pg_ctl" -D "$AVA_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$AVA_PG_DIR"
  fi
}
