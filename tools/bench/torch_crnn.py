#!/usr/bin/env python3
"""PyTorch side of the training benchmark (the Swift side is `crnnctl bench train`).

One fixed random batch (images uniform in [-1, 1], targets of length uniform in
[max(1, T/4), max(1, min(T/2, 5T/12))], mean ~ T/3, labels uniform in 1..K-1), built before the
clock starts; float32; Adam (lr 1e-3); loss = F.ctc_loss(log_softmax(logits), mean). `--warmup`
untimed steps, then `--steps` timed ones. Throughput = batch * steps / elapsed; GFLOP/s from the
analytic count in flops.py (the Swift side uses the same formula).

    tools/.venv/bin/python tools/bench/torch_crnn.py --preset paper --classes 11 --width 100 \
        --batch 32 --threads 1 --steps 10
prints
    torch preset=paper classes=11 width=100 batch=32 threads=1: 20.5 img/s, 81.3 GFLOP/s (...)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from crnn_torch import CRNN, PRESETS, sequence_length  # noqa: E402
from flops import train_flops_per_image  # noqa: E402


def make_batch(batch: int, width: int, classes: int, seed: int):
    """Random images in [-1, 1] and random targets of length ~ T/3 (never above T/2)."""
    g = torch.Generator().manual_seed(seed)
    T = sequence_length(width)
    x = torch.rand(batch, 1, 32, width, generator=g) * 2 - 1
    lo = max(1, T // 4)
    hi = max(lo, min(T // 2, 5 * T // 12))
    lengths = torch.randint(lo, hi + 1, (batch,), generator=g)
    targets = torch.randint(1, classes, (int(lengths.sum()),), generator=g)  # concatenated
    input_lengths = torch.full((batch,), T, dtype=torch.long)
    return x, targets, input_lengths, lengths


def main() -> int:
    ap = argparse.ArgumentParser(description="PyTorch CRNN training throughput (Adam + CTC, float32).")
    ap.add_argument("--preset", default="paper", choices=sorted(PRESETS))
    ap.add_argument("--classes", type=int, default=11)
    ap.add_argument("--width", type=int, default=100)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.classes < 2:
        ap.error("--classes must be at least 2 (class 0 is the blank)")
    if a.width % 4 != 0 or a.width < 16:
        ap.error("--width must be a multiple of 4 and at least 16")
    if a.batch < 1 or a.threads < 1 or a.steps < 1 or a.warmup < 0:
        ap.error("--batch, --threads and --steps must be positive, --warmup non-negative")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = CRNN.preset(a.preset, a.classes).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, targets, input_lengths, target_lengths = make_batch(a.batch, a.width, a.classes, a.seed)

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        log_probs = F.log_softmax(model(x), dim=2)
        loss = F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean")
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    load_before = os.getloadavg()[0]
    times, losses = [], []
    start = time.perf_counter()
    for _ in range(a.steps):
        t0 = time.perf_counter()
        losses.append(step())
        times.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start

    imgs = a.batch * a.steps / elapsed
    gflops = train_flops_per_image(a.preset, a.classes, a.width) * imgs / 1e9
    print(f"torch preset={a.preset} classes={a.classes} width={a.width} batch={a.batch} "
          f"threads={a.threads}: {imgs:.2f} img/s, {gflops:.1f} GFLOP/s "
          f"(steps={a.steps}, median {statistics.median(times):.3f} s/step, min {min(times):.3f}, "
          f"load {load_before:.2f}->{os.getloadavg()[0]:.2f}, loss {losses[0]:.3f}->{losses[-1]:.3f})",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
