#!/usr/bin/env python3
"""Line accuracy by how much of the line its glyphs fill: which crops a model reads badly.

Runs `crnnctl predict --dump` on a labelled set (a folder with labels.tsv), takes each 32-px input
the model saw, counts the rows (columns, for a vertical model) across the line whose pixels vary
(standard deviation above 35 % of the line's largest): that share of the line is the ink, and
prints line accuracy per tenth of it.

Usage: tools/models/ink-share.py (--model NAME | --checkpoint FILE) SET_DIR [--crnnctl PATH]
Example: tools/models/ink-share.py --model gb2312-horizontal data/foreign/gb2312-l1-h
Needs numpy (the foreign-set generator's own dependency); run from the checkout.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

from labelfile import read_labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--model")
    which.add_argument("--checkpoint")
    parser.add_argument("set", help="folder with labels.tsv")
    parser.add_argument("--crnnctl", default=".build/release/crnnctl")
    args = parser.parse_args()

    labels = read_labels(args.set)
    source = ["--model", args.model] if args.model else ["--checkpoint", args.checkpoint]
    with tempfile.TemporaryDirectory() as dump:
        command = [args.crnnctl, "predict", *source, "--dir", args.set, "--dump", dump]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode not in (0, 1):
            sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
        buckets = {}
        with open(os.path.join(dump, "index.tsv"), encoding="utf-8") as f:
            rows = [line.rstrip("\n").split("\t") for line in f][1:]
        for number, path, text in rows:
            name = os.path.basename(path)
            if name not in labels:
                continue
            x = np.load(os.path.join(dump, number + ".input.npy"))
            x = x.reshape(x.shape[-2], x.shape[-1])
            if x.shape[0] > x.shape[1]:  # vertical: the line runs down, its thickness is across
                x = x.T
            spread = x.std(axis=1)
            share = float((spread > 0.35 * spread.max()).sum()) / x.shape[0] if spread.max() > 0 else 0.0
            tenth = min(int(share * 10), 9)
            total, right = buckets.get(tenth, (0, 0))
            buckets[tenth] = (total + 1, right + (text == labels[name]))
    print("| glyphs fill | lines | read exactly | line accuracy |")
    print("|---|---|---|---|")
    for tenth in sorted(buckets):
        total, right = buckets[tenth]
        print(f"| {tenth * 10}–{tenth * 10 + 10} % | {total} | {right} | {right / total:.3f} |")


if __name__ == "__main__":
    main()
