#!/usr/bin/env python3
"""Checks `crnnctl import-torch` and `export --format torch` against real PyTorch on a full preset.

  tools/.venv/bin/python tools/torch/check.py --preset seed --crnnctl .build/release/crnnctl IMAGE...

1. Builds the PyTorch twin of PRESET (tools/crnn_torch.py; PyTorch's default initialisation, random
   batch-norm statistics) for the `digits` charset and saves its state dict with torch.save.
2. `crnnctl import-torch` reads it; `crnnctl predict --dump` reads the images with it, writing the
   fitted inputs and our logits; PyTorch runs the twin on the same inputs: the largest difference
   relative to the largest logit is printed.
3. `crnnctl export --format torch` writes the model back; PyTorch loads it with
   load_state_dict(strict=True): every tensor must equal the original bit for bit.
Exit status 0 when both hold (logits within --tolerance, default 1e-4).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from crnn_torch import CRNN  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="seed")
    parser.add_argument("--crnnctl", default="crnnctl")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("images", nargs="+")
    args = parser.parse_args()
    torch.manual_seed(5)
    torch.set_num_threads(1)
    model = CRNN.preset(args.preset, 11)
    with torch.no_grad():
        for name, buffer in model.named_buffers():
            if name.endswith("running_mean"):
                buffer.uniform_(-0.1, 0.1)
            elif name.endswith("running_var"):
                buffer.uniform_(0.5, 1.5)
    model.eval()
    with tempfile.TemporaryDirectory() as tmp:
        pth, checkpoint, back, dump = (os.path.join(tmp, n) for n in ("in.pth", "m.crnn", "back.pth", "dump"))
        torch.save(model.state_dict(), pth)
        run = lambda *a: subprocess.run([args.crnnctl, *a], check=True, capture_output=True, text=True)  # noqa: E731
        print(run("import-torch", pth, "--preset", args.preset, "--charset", "digits", "-o", checkpoint).stdout.strip())
        run("predict", "--checkpoint", checkpoint, "--threads", "1", "--dump", dump, *args.images)
        worst = 0.0
        rows = [line.split("\t") for line in Path(dump, "index.tsv").read_text().splitlines()[1:]]
        for n, _, _ in rows:
            x = torch.from_numpy(np.load(os.path.join(dump, f"{n}.input.npy")))
            ours = np.load(os.path.join(dump, f"{n}.logits.npy"))
            with torch.no_grad():
                theirs = model(x).numpy()
            worst = max(worst, float(np.abs(theirs - ours).max() / max(1.0, float(np.abs(ours).max()))))
        print(f"{args.preset}: PyTorch vs crnnctl on {len(rows)} images: largest difference {worst:.2e} of the largest logit")
        run("export", "--checkpoint", checkpoint, "--format", "torch", "-o", back)
        loaded = CRNN.preset(args.preset, 11)
        loaded.load_state_dict(torch.load(back, weights_only=True), strict=True)
        original, again = model.state_dict(), loaded.state_dict()
        exact = all(torch.equal(original[k], again[k]) for k in original if not k.endswith("num_batches_tracked"))
        print(f"{args.preset}: our export loaded into PyTorch (strict): {'every tensor bit-identical' if exact else 'TENSORS DIFFER'}")
    return 0 if exact and worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
