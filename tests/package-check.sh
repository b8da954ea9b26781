#!/usr/bin/env bash
# Builds the Linux installers (tests/package.sh) and checks them as a user's machine would:
#   .deb: its fields and runtime dependencies, `apt-get install ./…deb`, the desktop entry
#         (desktop-file-validate) and the icon, the installed binary launched under Xvfb until
#         the wizard is drawn (screenshot), then `apt-get purge` leaves none of its files;
#   .rpm: `rpm -qip`, `--requires`, installed into a scratch root and launched the same way
#         (the host's libraries stand in for Fedora's: dependency names differ);
#   the checkers a distribution runs: lintian on the .deb, rpmlint on the .rpm and
#   `appstreamcli validate` on the AppStream metadata; an error from any fails the check
#   (the warnings left, and why, are in docs/releases.md).
# Sizes are printed; the target is ≤ 15 MB each. Needs root (or sudo) for apt-get; not in CI
# (it needs a release build, ~15 min on 2 cores): `tests/package-check.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ava-desktop/target}
source tests/apt.sh
apt_install_missing desktop-file-utils rpm cpio rpmlint lintian appstream

[ "${AVA_SKIP_BUILD:-}" = 1 ] || bash tests/package.sh
deb=$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -1)
rpm=$(ls -t "$CARGO_TARGET_DIR"/release/bundle/rpm/*.rpm | head -1)
shots=$CARGO_TARGET_DIR/package-screenshots
mkdir -p "$shots"
work=$(mktemp -d)
# A launch's document portal can outlive its D-Bus session for a moment, its FUSE mount still
# in the scratch home: unmount it, and never let the clean-up decide the script's status.
trap 'for d in "$work"/home-*/cache/doc; do fusermount -u "$d" 2>/dev/null || true; done; rm -rf "$work" 2>/dev/null || true' EXIT

# Launches "$2…" on a private X server with a private D-Bus session and keyring, waits for the
# wizard's "ready" line, takes a screenshot of the screen into "$1", and stops the app.
launch_until_ready() {
  local shot=$1
  shift
  local home=$work/home-$RANDOM
  mkdir -p "$home"
  SHOT=$shot HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config XDG_CACHE_HOME=$home/cache \
    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" dbus-run-session -- sh -c '
      printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      "$@" >"$LOG" 2>&1 &
      app=$!
      for _ in $(seq 600); do
        grep -q "ready [0-9]* ms" "$LOG" && break
        kill -0 $app 2>/dev/null || { cat "$LOG"; echo "the app exited" >&2; exit 1; }
        sleep 0.1
      done
      grep -q "ready [0-9]* ms" "$LOG" || { cat "$LOG"; echo "never ready" >&2; exit 1; }
      # "ready" follows the wizard's first painted frame; the X server may show it a little later:
      # take screenshots until one holds more than the plain background (bounded).
      for _ in $(seq 60); do
        import -window root "$SHOT"
        [ "$(identify -format %k "$SHOT")" -gt 100 ] && break
        sleep 0.25
      done
      [ "$(identify -format %k "$SHOT")" -gt 100 ] || { echo "the window stayed blank" >&2; exit 1; }
      kill $app; wait $app 2>/dev/null || true
    ' sh "$@"
}
export LOG=$work/app.log

echo "== lintian (Debian's checker)"
# Errors fail; warnings and info are printed (and explained in docs/releases.md).
lintian --fail-on error --info --tag-display-limit 0 "$deb"
echo "== rpmlint"
# rpmlint checks the signature against rpm's keyring: a scratch one holding the key the package
# was signed with (published beside it), never the host's.
rpmhome=$work/rpm-home
mkdir -p "$rpmhome/db"
echo "%_dbpath $rpmhome/db" >"$rpmhome/.rpmmacros"
HOME=$rpmhome rpm --initdb
HOME=$rpmhome rpm --import "$(dirname "$rpm")/RPM-GPG-KEY-ava"
HOME=$rpmhome rpm -K "$rpm" | tee "$work/checksig"
grep -q ': digests signatures OK$' "$work/checksig"
HOME=$rpmhome rpmlint --config tests/rpmlint.toml "$rpm"
echo "== appstreamcli validate"
appstreamcli validate --no-net --explain src-tauri/packaging/ai.ava.desktop.metainfo.xml
# The binary needs no newer C library than the package says.
needed=$(objdump -T "$CARGO_TARGET_DIR/release/ava-desktop" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 | cut -d_ -f2)
declared=$(dpkg-deb -f "$deb" Depends | sed -n 's/.*libc6 (>= \([0-9.]*\)).*/\1/p')
dpkg --compare-versions "$needed" le "$declared" || { echo "needs glibc $needed, declares $declared" >&2; exit 1; }
echo "glibc: needs $needed, declares >= $declared"

echo "== .deb: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
dpkg-deb -f "$deb" Package Version Maintainer Section Depends Recommends Description
package=$(dpkg-deb -f "$deb" Package)
sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(realpath "$deb")" >/dev/null
dpkg -L "$package" >"$work/files"
desktop=$(grep '^/usr/share/applications/.*\.desktop$' "$work/files")
desktop-file-validate "$desktop"
grep -x /usr/share/metainfo/ai.ava.desktop.metainfo.xml "$work/files"
grep -x /usr/share/man/man1/ava-desktop.1.gz "$work/files"
grep '^/usr/share/icons/hicolor/.*/apps/' "$work/files"
binary=$(grep '^/usr/bin/' "$work/files" | head -1)
launch_until_ready "$shots/deb-installed.png" "$binary"
echo "launched $binary: $(grep -o 'ready [0-9]* ms' "$LOG")"
sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$package" >/dev/null
left=0
while read -r f; do
  if [ -f "$f" ]; then echo "left behind: $f"; left=1; fi
done <"$work/files"
[ $left = 0 ] && echo "purged: none of its files is left"
[ $left = 0 ]

echo "== .rpm: $(basename "$rpm") ($(du -k "$rpm" | cut -f1) KiB)"
rpm -qip "$rpm"
rpm -qp --requires "$rpm"
root=$work/rpm-root
rpm --root "$root" --initdb
rpm --root "$root" --import "$(dirname "$rpm")/RPM-GPG-KEY-ava"
# Installed only if its signature checks out, as dnf would.
rpm -i --nodeps --root "$root" --define '_pkgverify_level signature' "$rpm"
rpm -ql --root "$root" "$(rpm -qp --qf '%{NAME}' "$rpm")" | grep -x /usr/share/metainfo/ai.ava.desktop.metainfo.xml
rbinary=$root$(rpm -qlp "$rpm" | grep '^/usr/bin/' | head -1)
launch_until_ready "$shots/rpm-installed.png" "$rbinary"
echo "launched $rbinary: $(grep -o 'ready [0-9]* ms' "$LOG")"
echo "screenshots: $shots"
