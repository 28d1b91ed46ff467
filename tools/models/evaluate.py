#!/usr/bin/env python3
"""Scores a shipped model for its card: line accuracy, CER and 1-NED on 1,000 fresh lines of our
own generator (preset `real`) and on each foreign set given, plus recognition speed at batch 1 on
one thread. Reads models/NAME.crnn (through `crnnctl eval --model`), prints a markdown table.

Usage: tools/models/evaluate.py NAME [FOREIGN_SET_DIR ...] [--crnnctl PATH] [--seed N]
Example: tools/models/evaluate.py digits data/foreign/digits
Only the standard library; run from the checkout (crnnctl finds models/ and data/ from there).
"""
import argparse
import json
import subprocess
import sys


def evaluate(crnnctl, model, extra):
    command = [crnnctl, "eval", "--model", model, "--json"] + extra
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("sets", nargs="*", help="foreign set folders (with labels.tsv)")
    parser.add_argument("--crnnctl", default=".build/release/crnnctl")
    parser.add_argument("--seed", default="2027", help="seed of the own-generator lines")
    args = parser.parse_args()

    rows = [("own generator, 1,000 fresh lines (real, seed %s)" % args.seed,
             evaluate(args.crnnctl, args.model, ["--synthetic", "1000", "--seed", args.seed, "--preset", "real", "--threads", "2"]))]
    for folder in args.sets:
        rows.append((folder, evaluate(args.crnnctl, args.model, ["--labels", folder, "--threads", "2"])))
    print("| set | lines | line accuracy | CER | 1 − NED |")
    print("|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['lines']} | {r['line_accuracy']:.4f} | {r['character_error_rate']:.4f} | {r['one_minus_ned']:.4f} |")
    # Speed: batch 1, one thread, on the first set given (else the synthetic lines).
    speed_args = ["--labels", args.sets[0]] if args.sets else ["--synthetic", "200", "--seed", args.seed, "--preset", "real"]
    speed = evaluate(args.crnnctl, args.model, speed_args + ["--threads", "1", "--batch", "1"])
    print()
    print(f"Recognition at batch 1 on one thread: {speed['images_per_second']:.1f} lines/s "
          f"({speed['lines']} lines, greedy decoding, {speed_args[1]}).")


if __name__ == "__main__":
    main()
