#!/usr/bin/python3
"""Prints the leave-fonts-out table: line accuracy and CER of the 12-face and the 9-face model on
the faces the 9-face model saw and on the 3 it did not, from two `crnnctl eval --json` files.

Usage: summarize.py LABELS.tsv EVAL_12.json EVAL_9.json HELD_OUT_FACE...
LABELS.tsv (the scored lines' labels, with the font column) gives each face's characters, so that
CER pools exactly: errors = CER(face) × characters(face).
The figure that matters, the font novelty cost: (held out − seen) for the 12-face model minus the
same for the 9-face model — how much more the 9-face model loses on faces it never saw than a
model that saw them; subtracting the 12-face model's gap removes how hard the three faces are.
"""
import json
import sys


def characters_by_face(labels):
    counts = {}
    with open(labels, encoding="utf-8") as f:
        for row in f:
            fields = row.rstrip("\n").split("\t")
            if len(fields) >= 3:
                counts[fields[2]] = counts.get(fields[2], 0) + len(fields[1])
    return counts


def pooled(by_font, faces, characters):
    lines = sum(by_font[f]["lines"] for f in faces if f in by_font)
    right = sum(round(by_font[f]["line_accuracy"] * by_font[f]["lines"]) for f in faces if f in by_font)
    chars = sum(characters[f] for f in faces if f in by_font)
    errors = sum(by_font[f]["character_error_rate"] * characters[f] for f in faces if f in by_font)
    return lines, right / lines if lines else float("nan"), errors / chars if chars else float("nan")


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    characters = characters_by_face(sys.argv[1])
    twelve, nine = (json.load(open(p, encoding="utf-8")) for p in sys.argv[2:4])
    held = sys.argv[4:]
    missing = [f for f in held if f not in twelve["by_font"]]
    if missing:
        sys.exit(f"faces not in the eval's by_font: {missing}")
    seen = [f for f in twelve["by_font"] if f not in held]
    print("| model | all lines | seen by both (9 faces) | held out of the 9-face model (3 faces) | held out − seen |")
    print("|---|---|---|---|---|")
    gaps = {}
    for name, r in (("12 faces", twelve), ("9 faces", nine)):
        n_s, acc_s, cer_s = pooled(r["by_font"], seen, characters)
        n_h, acc_h, cer_h = pooled(r["by_font"], held, characters)
        gaps[name] = (acc_h - acc_s, cer_h - cer_s)
        print(f"| {name} | {r['line_accuracy']:.3f} (CER {r['character_error_rate']:.3f}, {r['lines']} lines) "
              f"| {acc_s:.3f} (CER {cer_s:.3f}, {n_s}) | {acc_h:.3f} (CER {cer_h:.3f}, {n_h}) "
              f"| {gaps[name][0]:+.3f} (CER {gaps[name][1]:+.3f}) |")
    print()
    print(f"Font novelty cost (12-face model's held-out − seen gap minus the 9-face model's; positive: "
          f"unseen faces cost accuracy): {gaps['12 faces'][0] - gaps['9 faces'][0]:+.3f} line accuracy, "
          f"{gaps['9 faces'][1] - gaps['12 faces'][1]:+.3f} CER")
    print()
    print("| face | lines | 12 faces: accuracy, CER | 9 faces: accuracy, CER |")
    print("|---|---|---|---|")
    for f in sorted(twelve["by_font"]):
        mark = " (held out)" if f in held else ""
        a = twelve["by_font"][f]
        b = nine["by_font"].get(f, {"line_accuracy": float("nan"), "character_error_rate": float("nan")})
        print(f"| {f}{mark} | {a['lines']} | {a['line_accuracy']:.3f}, {a['character_error_rate']:.3f} "
              f"| {b['line_accuracy']:.3f}, {b['character_error_rate']:.3f} |")


if __name__ == "__main__":
    main()
