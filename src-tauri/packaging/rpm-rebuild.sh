#!/usr/bin/env bash
# Rebuilds the .rpm the Tauri bundler wrote, with rpmbuild, adding the headers its rpm writer
# cannot set (tauri-bundler 2.10 has no setting for Group, Packager, Vendor, %changelog or the
# build host, and rpmlint reports each missing one as an error). Same files, modes, version,
# dependencies and descriptions as the bundler's package; the changelog is
# src-tauri/packaging/changelog (the Debian one) in rpm's form. The result is signed with
# rpmsign when TAURI_SIGNING_RPM_KEY is set (an armoured private key, the release workflow's
# secret; TAURI_SIGNING_RPM_KEY_PASSPHRASE if it has one), as the bundler signs its own, and the
# key's public half is written beside it as RPM-GPG-KEY-ava. The bundler's updater signature
# (.rpm.sig) no longer matches and is removed: the release workflow signs the new file.
#
# Usage: src-tauri/packaging/rpm-rebuild.sh BUNDLE_DIR   (the rpm/ folder beside deb/)
# Replaces the bundler's Ava-<v>-<r>.<arch>.rpm with ava-<v>-<r>.<arch>.rpm (rpm's own naming:
# the file is named after the package) and prints its path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: rpm-rebuild.sh BUNDLE_DIR/rpm}
mapfile -t built < <(find "$dir" -maxdepth 1 -name '*.rpm')
[ "${#built[@]}" = 1 ] || { echo "expected one .rpm in $dir, found ${#built[@]}" >&2; exit 1; }
input=${built[0]}
q() { rpm -qp --qf "$1" "$input" 2>/dev/null; }
# A scriptlet or a trigger would be lost below: refuse rather than ship a package without it.
if [ -n "$(rpm -qp --scripts --triggers "$input" 2>/dev/null)" ]; then
  echo "$input has scriptlets or triggers, which this rebuild does not carry over" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'GNUPGHOME=$work/gnupg gpgconf --kill gpg-agent 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/files" "$work/top" "$work/gnupg"
chmod 700 "$work/gnupg"
# rpm2cpio exits 1 on the bundler's packages (rpm 4.18, with no message) although it writes the
# whole payload, so its status is not the test: every file must come out with the digest the
# package's header records (sha256, digest algorithm 8).
rpm2cpio "$input" >"$work/payload.cpio" 2>/dev/null || true
(cd "$work/files" && cpio -idm --quiet --no-absolute-filenames <"$work/payload.cpio")
[ "$(q '%{FILEDIGESTALGO}')" = 8 ] || { echo "$input: file digests are not sha256" >&2; exit 1; }
q '[%{FILEDIGESTS} %{FILEMODES:octal} %{FILENAMES}\n]' | while read -r digest mode path; do
  [ $((8#$mode & 0170000)) = $((8#040000)) ] && continue
  echo "$digest  $work/files$path"
done | sha256sum --check --quiet - || { echo "$input: the payload did not unpack whole" >&2; exit 1; }

{
  echo "Name: $(q '%{NAME}')"
  echo "Version: $(q '%{VERSION}')"
  echo "Release: $(q '%{RELEASE}')"
  echo "Summary: $(q '%{SUMMARY}')"
  echo "License: $(q '%{LICENSE}')"
  echo "URL: $(q '%{URL}')"
  # Fedora no longer needs Group; rpmlint (and older distributions) still read it.
  echo "Group: Applications/Productivity"
  echo "Vendor: Ava"
  echo "Packager: Ava Desktop Team <desktop@ava.ai>"
  echo "BuildArch: $(q '%{ARCH}')"
  # Exactly the bundler's dependencies (tauri.conf.json's rpm depends): what is checked and
  # shipped is what is configured, with nothing added by a scan of this machine's libraries.
  echo "AutoReqProv: no"
  rpm -qp --requires "$input" 2>/dev/null | grep -v '^rpmlib(' | sed 's/^/Requires: /' || true
  rpm -qp --recommends "$input" 2>/dev/null | sed 's/^/Recommends: /' || true
  rpm -qp --provides "$input" 2>/dev/null | sed 's/^/Provides: /' || true
  echo
  echo "%description"
  q '%{DESCRIPTION}'
  echo
  echo
  echo "%install"
  echo "cp -a '$work/files/.' %{buildroot}/"
  echo
  echo "%files"
  # One line per entry with the bundler's mode; directories it lists stay owned by the package.
  q '[%{FILEMODES:octal} %{FILENAMES}\n]' | while read -r mode path; do
    perm=$(printf '%04o' $((8#$mode & 07777)))
    if [ $((8#$mode & 0170000)) = $((8#040000)) ]; then
      echo "%dir %attr($perm,root,root) \"$path\""
    else
      echo "%attr($perm,root,root) \"$path\""
    fi
  done
  echo
  echo "%changelog"
  # The Debian changelog (`ava (0.1.0) unstable; …`, `  * item`, ` -- Name <mail>  date`) in
  # rpm's form: `* Fri Dec 04 2026 Name <mail> - 0.1.0-1`, then `- item`.
  python3 - "$here/changelog" "$(q '%{RELEASE}')" <<'PY'
import email.utils, re, sys
text, release = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
for block in re.split(r"\n(?=\S)", text.strip()):
    head, *body = block.splitlines()
    version = re.match(r"\S+ \(([^)]+)\)", head).group(1)
    trailer = next(line for line in body if line.startswith(" -- "))
    who, when = trailer[4:].split("  ", 1)
    date = email.utils.parsedate_to_datetime(when)
    print(f"* {date:%a %b %d %Y} {who} - {version}-{release}")
    item = None
    for line in body:
        if line.startswith("  * "):
            if item:
                print("- " + item)
            item = line[4:].strip()
        elif line.startswith("    ") and item is not None:
            item += " " + line.strip()
    if item:
        print("- " + item)
    print()
PY
} >"$work/ava.spec"

export GNUPGHOME=$work/gnupg
if [ -n "${TAURI_SIGNING_RPM_KEY:-}" ]; then
  printf '%s\n' "$TAURI_SIGNING_RPM_KEY" | gpg --batch --quiet --import
  signer=$(gpg --batch --list-secret-keys --with-colons | awk -F: '/^uid:/ {print $10; exit}')
  passphrase=()
  if [ -n "${TAURI_SIGNING_RPM_KEY_PASSPHRASE:-}" ]; then
    printf '%s' "$TAURI_SIGNING_RPM_KEY_PASSPHRASE" >"$work/passphrase"
    passphrase=(--define "_gpg_sign_cmd_extra_args --pinentry-mode loopback --passphrase-file $work/passphrase")
  fi
else
  echo "TAURI_SIGNING_RPM_KEY is not set: the .rpm is left unsigned" >&2
fi

# Nothing of the host's rpm post-processing: the files are already what ships (stripped by the
# release profile, no debug package, no build-id links).
rpmbuild -bb --quiet "$work/ava.spec" \
  --define "_topdir $work/top" \
  --define "_buildhost ava-build" \
  --define "__os_install_post %{nil}" \
  --define "debug_package %{nil}" \
  --define "_build_id_links none" \
  --define "_binary_payload w19.zstdio"
output=$(find "$work/top/RPMS" -name '*.rpm')
if [ -n "${TAURI_SIGNING_RPM_KEY:-}" ]; then
  rpmsign --addsign --define "__gpg $(command -v gpg)" --define "_gpg_name $signer" "${passphrase[@]}" "$output" >/dev/null 2> >(grep -v GPG_TTY >&2)
  # The key users import to check the package (`rpm --import RPM-GPG-KEY-ava`), published with it.
  gpg --batch --armor --export >"$dir/RPM-GPG-KEY-ava"
fi
rm -f "$input" "$input.sig"
cp "$output" "$dir/"
echo "$dir/$(basename "$output")"
