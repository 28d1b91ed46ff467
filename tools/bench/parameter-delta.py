#!/usr/bin/env python3
"""How much a model's parameters change between two checkpoints of one run, and what sending
that change would cost (design input for delta pulls, issue 17).

    crnnctl checkpoints fetch RUN --step A --model-only -o a.crnn; crnnctl export --checkpoint a.crnn --format torch -o a.pth
    (the same for step B), then
    tools/.venv/bin/python tools/bench/parameter-delta.py a.pth b.pth

Prints: the share of values that changed, quantiles of |change|, the size of the whole arena as
fp32 + zstd -3 (what a pull sends today), of the dense change as fp16 + zstd, and of the top 10 %,
3 %, 1 % of the change by magnitude (fp16 values + uint32 index gaps, each zstd -3) with the share
of the change's norm they leave unsent. Needs PyTorch (tools/setup-venv) and the zstd command.
"""

import subprocess
import sys

import numpy as np
import torch


def zstd_size(array: np.ndarray) -> int:
    return len(subprocess.run(["zstd", "-3", "-c"], input=array.tobytes(), capture_output=True, check=True).stdout)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a = torch.load(sys.argv[1], weights_only=True)
    b = torch.load(sys.argv[2], weights_only=True)
    keys = [k for k in a if a[k].dtype == torch.float32]
    x = np.concatenate([a[k].numpy().ravel() for k in keys])
    y = np.concatenate([b[k].numpy().ravel() for k in keys])
    d = y - x
    n = d.size
    full = zstd_size(y)
    print(f"{n} values; whole arena fp32+zstd {full} B ({full / n:.2f} B/value)")
    q = np.quantile(np.abs(d), [0.5, 0.9, 0.99])
    print(f"changed: {np.count_nonzero(d) / n:.3f} of the values; |change| median {q[0]:.2e}, 90 % {q[1]:.2e}, "
          f"99 % {q[2]:.2e}, max {np.abs(d).max():.3g}; |value| median {np.median(np.abs(y)):.3g}")
    dense = zstd_size(d.astype(np.float16))
    print(f"dense change fp16+zstd: {dense} B ({full / dense:.1f}x smaller than the whole arena)")
    for share in (0.10, 0.03, 0.01):
        k = int(n * share)
        idx = np.sort(np.argpartition(np.abs(d), n - k)[n - k:])
        size = zstd_size(d[idx].astype(np.float16)) + zstd_size(np.diff(np.concatenate([[0], idx])).astype(np.uint32))
        rest = d.copy()
        rest[idx] = 0
        print(f"top {share:.0%} of the change: {size} B ({full / size:.1f}x smaller); "
              f"unsent share of the change's norm {np.linalg.norm(rest) / np.linalg.norm(d):.3f}")


if __name__ == "__main__":
    main()
