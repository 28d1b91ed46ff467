#!/usr/bin/env python3
"""How much a fine-tuned model still reads of what its source read: both models read a labelled
folder (crnnctl predict --json); of the lines the source read exactly, prints how many the
fine-tuned model still reads exactly, and each model's line accuracy.

Usage: tools/models/kept-readings.py SOURCE FINE_TUNED FOLDER [--crnnctl PATH]
SOURCE and FINE_TUNED are shipped model names or .crnn files. Standard library only.
"""
import argparse
import json
import os
import subprocess
import sys

from labelfile import read_labels


def readings(crnnctl, model, folder):
    flag = ["--checkpoint", model] if model.endswith(".crnn") else ["--model", model]
    done = subprocess.run([crnnctl, "predict", *flag, "--dir", folder, "--json"], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"predict with {model} failed:\n{done.stderr}")
    return {os.path.basename(r["path"]): r["text"] for r in json.loads(done.stdout)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("tuned")
    parser.add_argument("folder")
    parser.add_argument("--crnnctl", default=".build/release/crnnctl")
    args = parser.parse_args()
    truth = read_labels(args.folder)
    before = readings(args.crnnctl, args.source, args.folder)
    after = readings(args.crnnctl, args.tuned, args.folder)
    right_before = [name for name in truth if before.get(name) == truth[name]]
    kept = [name for name in right_before if after.get(name) == truth[name]]
    right_after = [name for name in truth if after.get(name) == truth[name]]
    print(f"{args.source}: {len(right_before)}/{len(truth)} lines right ({len(right_before) / len(truth):.3f})")
    print(f"{args.tuned}: {len(right_after)}/{len(truth)} lines right ({len(right_after) / len(truth):.3f})")
    print(f"kept: {len(kept)} of the {len(right_before)} lines {args.source} read ({len(kept) / max(1, len(right_before)):.3f})")


if __name__ == "__main__":
    main()
