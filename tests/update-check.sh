#!/usr/bin/env bash
# The updater end to end, as an owner meets it (not CI: two release builds, ~15 min on 2 cores):
#   1. a throwaway updater key; Ava 0.1.0 and 0.2.0 built as .deb with a test-only config
#      overlay (the release config, with this key and a local plain-HTTP endpoint);
#   2. `latest.json` written by our release tool (ava-release) and served on 127.0.0.1;
#   3. 0.1.0 installed with apt-get; first the server offers a tampered 0.2.0: the installed
#      app refuses it (log), offers nothing, and dpkg still shows 0.1.0;
#   4. then the genuine 0.2.0: the window shows "Version 0.2.0 of Ava is ready" (screenshot),
#      "Restart to update" is pressed through WebDriver (tauri-driver), the app installs it
#      (`pkexec dpkg -i`, a shim that runs it as root here) and restarts, and
#      `dpkg-query` shows 0.2.0;
#   5. `apt-get purge`.
# Needs root (or sudo) and what tests/setup.sh and tests/package-check.sh install:
# `tests/update-check.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${AVA_TOOLS_DIR:-$HOME/.cache/ava-desktop/tools}/node_modules/.bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ava-desktop/target}
source tests/apt.sh
apt_install_missing jq
if ! cargo install --list | grep -qx "tauri-cli v2.12.4:"; then
  cargo install tauri-cli --version 2.12.4 --locked
fi
work=$(mktemp -d /tmp/ava-update-check.XXXXXX)
server=
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
shots=$CARGO_TARGET_DIR/package-screenshots
mkdir -p "$shots"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port

# The files tauri.conf.json has the packages carry (changelog, manual page, copyright).
bash src-tauri/packaging/generate.sh
echo "== a throwaway updater key"
cargo tauri signer generate --ci -p "" -w "$work/updater.key" >/dev/null
export TAURI_SIGNING_PRIVATE_KEY=$work/updater.key TAURI_SIGNING_PRIVATE_KEY_PASSWORD=""

build() { # version
  jq -n --arg v "$1" --arg key "$(cat "$work/updater.key.pub")" --arg url "$base/latest.json" \
    '{version: $v, plugins: {updater: {pubkey: $key, endpoints: [$url], dangerousInsecureTransportProtocol: true}}}' \
    >"$work/test-$1.json"
  (cd src-tauri && cargo tauri build --bundles deb --config tauri.release.conf.json --config "$work/test-$1.json")
  mkdir -p "$work/jobs-$1/bundles-x86_64-unknown-linux-gnu/deb"
  cp "$CARGO_TARGET_DIR/release/bundle/deb/Ava_$1_amd64.deb" "$CARGO_TARGET_DIR/release/bundle/deb/Ava_$1_amd64.deb.sig" \
    "$work/jobs-$1/bundles-x86_64-unknown-linux-gnu/deb/"
}
echo "== Ava 0.1.0 and 0.2.0 (release builds)"
build 0.1.0
build 0.2.0
ls -l "$work"/jobs-*/*/deb/

echo "== latest.json by ava-release, served on $base"
cargo run -q -p ava-release -- "$work/jobs-0.2.0" "$work/www" --version 0.2.0 \
  --date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --download-base "$base" --notes "Update check"
jq . "$work/www/latest.json"
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/www" >"$work/http.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "$base/latest.json" >/dev/null && break; sleep 0.1; done

echo "== install 0.1.0"
sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$work/jobs-0.1.0/bundles-x86_64-unknown-linux-gnu/deb/Ava_0.1.0_amd64.deb" >/dev/null
package=$(dpkg-deb -f "$work/jobs-0.1.0/bundles-x86_64-unknown-linux-gnu/deb/Ava_0.1.0_amd64.deb" Package)
binary=$(dpkg -L "$package" | grep '^/usr/bin/' | head -1)
installed() { dpkg-query -W -f='${Version}' "$package"; }
echo "installed: $package $(installed)"

# The updater installs with `pkexec dpkg -i …`; no polkit agent runs here, and this script is
# root: the shim runs the command as is.
mkdir -p "$work/bin"
printf '#!/bin/sh\necho "pkexec $*" >>"%s/pkexec.log"\nexec "$@"\n' "$work" >"$work/bin/pkexec"
chmod +x "$work/bin/pkexec"

# Runs "$@" with the app's world: a private X server, D-Bus session and keyring, its own home.
with_desktop() {
  local home=$work/home-$RANDOM
  mkdir -p "$home"
  PATH=$work/bin:$PATH HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_CACHE_HOME=$home/cache \
    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- sh -c '
      printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      exec "$@"' sh "$@"
}

echo "== a tampered 0.2.0 is refused"
cp "$work/www/Ava_0.2.0_amd64.deb" "$work/genuine.deb"
printf 'x' | dd of="$work/www/Ava_0.2.0_amd64.deb" bs=1 seek=4096 conv=notrunc status=none
export APP=$binary LOG=$work/tampered.log
with_desktop sh -c '
  "$APP" >"$LOG" 2>&1 & app=$!
  for _ in $(seq 1200); do
    grep -q "the update check failed\|downloaded and verified" "$LOG" && break
    kill -0 $app 2>/dev/null || break
    sleep 0.1
  done
  kill $app 2>/dev/null; wait $app 2>/dev/null || true'
grep -o "the update check failed.*" "$LOG"
grep -q "the update check failed" "$LOG"
! grep -q "downloaded and verified" "$LOG"
[ "$(installed)" = 0.1.0 ] && echo "still installed: 0.1.0"

echo "== the genuine 0.2.0: shown, installed on 'Restart to update', restarted"
cp "$work/genuine.deb" "$work/www/Ava_0.2.0_amd64.deb"
export SHOT=$shots WD_LOG=$work/tauri-driver.log NOTICE=$work/notice.txt
with_desktop sh -c '
  tauri-driver --port 4444 >"$WD_LOG" 2>&1 & driver=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:4444/status >/dev/null && break; sleep 0.1; done
  session=$(curl -sf -X POST http://127.0.0.1:4444/session -H "Content-Type: application/json" \
    -d "{\"capabilities\":{\"alwaysMatch\":{\"tauri:options\":{\"application\":\"$APP\"}}}}" | jq -r .value.sessionId)
  wd=http://127.0.0.1:4444/session/$session
  # The notice appears once the update is downloaded and verified.
  button=
  for _ in $(seq 600); do
    button=$(curl -s -X POST "$wd/element" -H "Content-Type: application/json" \
      -d "{\"using\":\"css selector\",\"value\":\"#install-update\"}" | jq -r ".value[\"element-6066-11e4-a52e-4f735466cecf\"] // empty")
    [ -n "$button" ] && break
    sleep 0.2
  done
  [ -n "$button" ] || { echo "no update notice" >&2; kill $driver; exit 1; }
  notice=$(curl -s -X POST "$wd/element" -H "Content-Type: application/json" \
    -d "{\"using\":\"css selector\",\"value\":\"#update-ready\"}" | jq -r ".value[\"element-6066-11e4-a52e-4f735466cecf\"]")
  curl -s "$wd/element/$notice/text" | jq -r .value | tee "$NOTICE"
  curl -s "$wd/screenshot" | jq -r .value | base64 -d >"$SHOT/update-ready-en.png"
  # The same notice in French and Hebrew (right to left), through the language switch.
  find() { curl -s -X POST "$wd/element" -H "Content-Type: application/json" \
    -d "{\"using\":\"css selector\",\"value\":\"$1\"}" | jq -r ".value[\"element-6066-11e4-a52e-4f735466cecf\"] // empty"; }
  for lang in fr he en; do
    curl -s -X POST "$wd/element/$(find "#language-switch option[value=$lang]")/click" -H "Content-Type: application/json" -d "{}" >/dev/null
    for _ in $(seq 50); do
      [ -n "$(find ".app[lang=$lang] #update-ready")" ] && break
      sleep 0.1
    done
    [ $lang = en ] || curl -s "$wd/screenshot" | jq -r .value | base64 -d >"$SHOT/update-ready-$lang.png"
  done
  button=$(find "#install-update")
  curl -s -X POST "$wd/element/$button/click" -H "Content-Type: application/json" -d "{}" >/dev/null
  for _ in $(seq 600); do
    [ "$(dpkg-query -W -f="\${Status} \${Version}" '"$package"')" = "install ok installed 0.2.0" ] && break
    sleep 0.2
  done
  kill $driver 2>/dev/null; wait $driver 2>/dev/null || true'
grep -q "Version 0.2.0 of Ava is ready" "$NOTICE"
cat "$work/pkexec.log"
echo "installed: $package $(installed)"
[ "$(installed)" = 0.2.0 ]
echo "screenshots: $shots/update-ready-{en,fr,he}.png"

# dpkg may still be running the update's triggers (the manual page's index, the icon cache):
# apt waits for its lock rather than failing.
sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 purge -y -qq "$package" >/dev/null
echo "purged $package"
