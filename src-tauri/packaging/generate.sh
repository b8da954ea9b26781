#!/usr/bin/env bash
# Writes the files the Linux packages carry beside the app (src-tauri/packaging/generated/,
# which tauri.conf.json's bundle.linux names): the Debian changelog and man page compressed as
# Debian policy wants (gzip -9n: no name, no time), and the machine-readable copyright file,
# made from Cargo.lock's crates and their licences (every crate linked into ava-desktop on
# Linux). Run by tests/package.sh and by the release workflow before bundling.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=src-tauri/packaging/generated
mkdir -p "$out"
gzip -9n <src-tauri/packaging/changelog >"$out/changelog.gz"
gzip -9n <src-tauri/packaging/ava-desktop.1 >"$out/ava-desktop.1.gz"
cargo metadata --locked --format-version 1 --filter-platform x86_64-unknown-linux-gnu |
  python3 -c '
import json, sys
meta = json.load(sys.stdin)
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
root = next(p["id"] for p in meta["packages"] if p["name"] == "ava-desktop")
seen, todo = set(), [root]
while todo:
    current = todo.pop()
    if current in seen:
        continue
    seen.add(current)
    for dep in nodes[current]["deps"]:
        # What is linked into the app: normal dependencies, not build or dev ones.
        if any(k["kind"] is None for k in dep["dep_kinds"]):
            todo.append(dep["pkg"])
crates = sorted((packages[i]["name"], packages[i]["version"], packages[i].get("license") or "see its repository")
                for i in seen if packages[i]["source"])
print("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
print("Upstream-Name: Ava")
print("Upstream-Contact: Ava Desktop Team <desktop@ava.ai>")
print("Source: https://ava.ai")
print()
print("Files: *")
print("Copyright: 2026 Ava")
print("License: LicenseRef-proprietary")
print("Comment: /usr/bin/ava-desktop also contains, statically linked, these Rust crates")
print(" (from crates.io, each under the licence it declares):")
for name, version, licence in crates:
    print(f" {name} {version}: {licence}")
print()
print("License: LicenseRef-proprietary")
print(" Copyright 2026 Ava. All rights reserved. Installing and running this package")
print(" is allowed; copying, changing or redistributing it is not, except as the")
print(" licences of the crates listed above allow for those crates.")
' >"$out/copyright"
echo "packaging files in $out: $(ls "$out" | tr '\n' ' ')"
