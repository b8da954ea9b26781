#!/usr/bin/python3
"""Prints what a screen reader is given for the running Ava window: its AT-SPI tree (the
accessibility bus of the D-Bus session it runs in), one JSON object per node with its role and
name, once the tree holds every text given as an argument (or after 60 s, printing what there
is). Used by src-tauri/tests/e2e/screen_reader.rs; needs Debian's python3-pyatspi."""
import json
import sys
import time

import pyatspi

WANTED = sys.argv[1:]


def walk(node, depth, out):
    try:
        role, name, count = node.getRoleName(), node.name or "", node.childCount
    except Exception:  # a node that went away while being read
        return
    out.append({"depth": depth, "role": role, "name": name})
    for i in range(min(count, 500)):
        try:
            walk(node.getChildAtIndex(i), depth + 1, out)
        except Exception:
            pass


deadline = time.time() + 60
while True:
    desktop = pyatspi.Registry.getDesktop(0)
    nodes = []
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and app.name == "ava-desktop":
            walk(app, 0, nodes)
    names = " ".join(n["name"] for n in nodes)
    if all(w in names for w in WANTED) or time.time() > deadline:
        for node in nodes:
            print(json.dumps(node, ensure_ascii=False))
        break
    time.sleep(0.2)
