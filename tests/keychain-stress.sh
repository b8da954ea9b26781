#!/usr/bin/env bash
# Many short-lived app processes against one real gnome-keyring: each runs the keychain probe
# (what the app does at start: a write, a read and a delete), LOOPS at a time, EACH per loop.
# Prints how many starts failed and how often the keyring daemon died (gnome-keyring aborts
# when a client's first session request races its registration; see
# crates/core/src/store/secret_service.rs). D-Bus restarts it unlocked here, as the tests do.
# Usage: tests/keychain-stress.sh [LOOPS] [EACH] (default 6 150). PROBE=path measures another
# build's ava-keychain-probe (e.g. one built from an older commit).
set -euo pipefail
cd "$(dirname "$0")/.."
LOOPS=${1:-6}
EACH=${2:-150}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

if [ -z "${AVA_STRESS_INNER:-}" ]; then
  cargo build -q -p ava-core --bin ava-keychain-probe
  home=$(mktemp -d /tmp/ava-stress.XXXXXX)
  mkdir -p "$home/data/dbus-1/services" "$home/cache"
  trap 'rm -rf "$home" 2>/dev/null || true' EXIT
  for name in org.freedesktop.secrets org.gnome.keyring; do
    printf '[D-BUS Service]\nName=%s\nExec=/bin/sh -c "printf pw | exec gnome-keyring-daemon --foreground --unlock --components=secrets"\n' \
      "$name" >"$home/data/dbus-1/services/$name.service"
  done
  env -u DISPLAY -u DBUS_SESSION_BUS_ADDRESS -u XDG_RUNTIME_DIR AVA_STRESS_INNER=1 \
    XDG_DATA_HOME="$home/data" XDG_CACHE_HOME="$home/cache" \
    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- \
    sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"' \
    sh bash "$0" "$LOOPS" "$EACH" 2> >(grep -v '^dbus-daemon' >&2)
  exit
fi

probe=${PROBE:-$CARGO_TARGET_DIR/debug/ava-keychain-probe}
owner() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null |
    awk '/uint32/ {print $2}'
}
log=$(mktemp /tmp/ava-stress-log.XXXXXX)
start=$(date +%s)
for loop in $(seq 1 "$LOOPS"); do
  (
    for _ in $(seq 1 "$EACH"); do
      report=$(timeout 120 "$probe" "ai.ava.stress-$loop" 2>/dev/null || true)
      case $report in *'"persistent":true'*) echo ok ;; *) echo failed ;; esac
      echo "daemon $(owner)"
    done
  ) >>"$log" &
done
wait
echo "probe: $probe"
echo "app starts: $((LOOPS * EACH)), $LOOPS at a time, in $(($(date +%s) - start)) s"
echo "failed starts: $(grep -c '^failed' "$log" || true)"
echo "keyring daemons seen: $(grep '^daemon [0-9]' "$log" | sort -u | wc -l) (more than 1: it died and was restarted)"
rm -f "$log"
