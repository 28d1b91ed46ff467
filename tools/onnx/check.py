"""Compare an exported ONNX model (onnxruntime) with `crnnctl predict` on the same images.

crnnctl predict --dump writes each image's fitted input and our logits; this runs the ONNX
model on exactly those inputs, one image at a time (batch 1), and checks

  * logits: max |ours - onnx| <= tolerance * max(1, max |ours|) per image (default 1e-4): the
    largest difference relative to the image's largest logit (the infinity norm),
  * greedy texts: onnxruntime's log_probs decoded with the charset from the ONNX metadata equal
    the text crnnctl printed.

Prints one line per image and a summary; exit status 0 when every image agrees, 1 otherwise,
2 on usage errors. With --bench N, also times N passes of onnxruntime at batch 1 on one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort


def greedy(log_probs: np.ndarray, charset: list[str]) -> str:
    """CTC greedy decoding of [T, K] scores: argmax, merge repeats, drop blanks (class 0)."""
    best = log_probs.argmax(axis=1)
    out, previous = [], -1
    for k in best:
        if k != previous and k != 0:
            out.append(charset[k - 1])
        previous = k
    return "".join(out)


def load_dump(folder: str) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """(path, crnnctl's text, input, our logits) per row of FOLDER/index.tsv."""
    with open(os.path.join(folder, "index.tsv"), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f.readlines()[1:]]
    return [(path, text, np.load(os.path.join(folder, f"{n}.input.npy")), np.load(os.path.join(folder, f"{n}.logits.npy")))
            for n, path, text in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("onnx", help="the exported model")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", help="the checkpoint it was exported from")
    source.add_argument("--model", help="the shipped model it was exported from")
    source.add_argument("--dumped", metavar="DIR", help="a folder `crnnctl predict --dump` (or a test) already wrote")
    parser.add_argument("images", nargs="*")
    parser.add_argument("--crnnctl", default="crnnctl", help="the crnnctl binary (default: on PATH)")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--bench", type=int, default=0, metavar="N", help="time N passes over the images")
    args = parser.parse_intermixed_args()

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    charset = json.loads(meta["charset"])

    if args.dumped:
        cases = load_dump(args.dumped)
    else:
        if not args.images:
            parser.error("give images to read (or --dumped DIR)")
        with tempfile.TemporaryDirectory() as dump:
            which = ["--checkpoint", args.checkpoint] if args.checkpoint else ["--model", args.model]
            command = [args.crnnctl, "predict", *which, "--threads", "1", "--dump", dump, *args.images]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode not in (0, 1):
                print(f"onnx-check: {' '.join(command)} failed:\n{done.stderr}", file=sys.stderr)
                return 2
            cases = load_dump(dump)

    failures, worst = 0, 0.0
    for path, text, image, ours in cases:
        logits, log_probs = session.run(["logits", "log_probs"], {"image": image})
        error = float(np.abs(logits - ours).max() / max(1.0, float(np.abs(ours).max())))
        worst = max(worst, error)
        theirs = greedy(log_probs[:, 0, :], charset)
        ok = logits.shape == ours.shape and error <= args.tolerance and theirs == text
        failures += 0 if ok else 1
        print(f"{'ok  ' if ok else 'FAIL'} {path}\tinput {list(image.shape)}\tmax rel. error {error:.2e}\t"
              f"crnnctl {text!r}\tonnxruntime {theirs!r}")
    print(f"onnx-check: {len(cases) - failures} of {len(cases)} images agree (logits within {args.tolerance:g} "
          f"relative, worst {worst:.2e}; identical greedy text)")

    if args.bench > 0 and cases:
        start = time.perf_counter()
        for _ in range(args.bench):
            for _, _, image, _ in cases:
                session.run(["log_probs"], {"image": image})
        seconds = time.perf_counter() - start
        print(f"onnxruntime {ort.__version__}, batch 1, 1 thread: {args.bench * len(cases) / seconds:.1f} images/s "
              f"({args.bench} passes over {len(cases)} images)")
    if not cases:
        print("onnx-check: crnnctl read none of the images", file=sys.stderr)
        return 1
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
