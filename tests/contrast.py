#!/usr/bin/env python3
"""The design tokens' contrast (WCAG 2.1, 1.4.3 and 1.4.11), read from ui/styles.css.

Every text colour against every background it may be drawn on, in every state the stylesheet
has (hover and selected use the same tokens): 4.5:1. Focus rings and field borders against
the page and the card: 3:1. Exits non-zero naming each pair that falls short.
"""
import re
import sys
from pathlib import Path

css = (Path(__file__).resolve().parent.parent / "ui" / "styles.css").read_text()
root = re.search(r":root\s*{(.*?)}", css, re.S).group(1)
tokens = dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})", root))


def luminance(hex_colour):
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ratio(a, b):
    la, lb = sorted((luminance(tokens[a]), luminance(tokens[b])), reverse=True)
    return (la + 0.05) / (lb + 0.05)


TEXT = ["grey-5", "grey-8", "grey-9", "primary", "primary-hover", "success", "warning", "danger"]
BACKGROUNDS = ["grey-0", "grey-1", "grey-2", "primary-soft", "success-soft", "warning-soft", "danger-soft"]
# White text on filled buttons and the current step's number.
FILLED = ["primary", "primary-hover", "danger", "danger-hover", "success"]
NON_TEXT = ["focus", "grey-4"]

failures = []
for text in TEXT:
    for background in BACKGROUNDS:
        if ratio(text, background) < 4.5:
            failures.append(f"text {text} on {background}: {ratio(text, background):.2f}:1 < 4.5")
for fill in FILLED:
    if ratio("grey-0", fill) < 4.5:
        failures.append(f"white on {fill}: {ratio('grey-0', fill):.2f}:1 < 4.5")
for edge in NON_TEXT:
    for background in ["grey-0", "grey-1"]:
        if ratio(edge, background) < 3:
            failures.append(f"{edge} on {background}: {ratio(edge, background):.2f}:1 < 3")
checked = len(TEXT) * len(BACKGROUNDS) + len(FILLED) + 2 * len(NON_TEXT)
if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"contrast: {checked} token pairs meet WCAG 2.1 AA")
