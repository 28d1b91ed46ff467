"""Analytic FLOP count of one CRNN training step, shared by both benchmark sides.

The Swift side (`crnnctl bench train`) must reproduce exactly this count so that GFLOP/s figures
compare. Per image of height 32 and width W (T = W/4 - 3), forward multiply-accumulates (MACs):

    conv   Cout * Cin * kh * kw * Hout * Wout          for conv1..conv7 (output size after the conv,
                                                        before its pool)
             conv1  c1*1 *9 * 32 * W        conv2  c2*c1*9 * 16 * W/2     conv3 c3*c2*9 * 8 * W/4
             conv4  c4*c3*9 * 8 * W/4       conv5  c5*c4*9 * 4 * (W/4-1)  conv6 c6*c5*9 * 4 * (W/4-1)
             conv7  c7*c6*4 * 1 * T
    rnn    per layer: 2 directions * T steps * gates * H * (I + H)    gates = 3 (GRU), 4 (LSTM)
             rnn1 I = c7; rnn2 I = 2H (gru head) or H (lstm head, after emb)
    linear in * out per row, T rows per image: emb (2H -> H, lstm head only), fc (2H -> K)

    FLOP per image for one training step = 2 (FLOP per MAC) * 3 (forward + backward ~ 2x forward)
                                           * (sum of the MACs above)
Not counted: biases, BatchNorm, ReLU, pooling, log-softmax, CTC, optimiser update (all O(size),
not O(size * fan-in)). Check: seed, K = 30657, W = 512 gives 5.40 GMAC forward per image
(3.15 conv, 0.29 GRU, 1.96 fc).

    python tools/bench/flops.py --preset seed --classes 30657 --width 512    # prints the breakdown
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from crnn_torch import PRESETS, sequence_length  # noqa: E402

FLOP_PER_MAC = 2
TRAIN_FACTOR = 3  # forward + backward (backward ~ twice the forward)


def forward_macs(channels, head: str, hidden: int, classes: int, width: int) -> dict[str, int]:
    """Forward MACs per image, by layer (keys conv1..conv7, rnn1, [emb], rnn2, fc)."""
    c1, c2, c3, c4, c5, c6, c7 = channels
    T = sequence_length(width)
    H = hidden
    w4 = width // 4
    macs = {
        "conv1": c1 * 1 * 9 * 32 * width,
        "conv2": c2 * c1 * 9 * 16 * (width // 2),
        "conv3": c3 * c2 * 9 * 8 * w4,
        "conv4": c4 * c3 * 9 * 8 * w4,
        "conv5": c5 * c4 * 9 * 4 * (w4 - 1),
        "conv6": c6 * c5 * 9 * 4 * (w4 - 1),
        "conv7": c7 * c6 * 4 * 1 * T,
    }
    gates = {"gru": 3, "lstm": 4}[head]

    def rnn(inputs: int) -> int:
        return 2 * T * gates * H * (inputs + H)

    macs["rnn1"] = rnn(c7)
    if head == "lstm":
        macs["emb"] = T * 2 * H * H
        macs["rnn2"] = rnn(H)
    else:
        macs["rnn2"] = rnn(2 * H)
    macs["fc"] = T * 2 * H * classes
    return macs


def train_flops_per_image(preset: str, classes: int, width: int) -> int:
    """FLOP of one training step (forward + backward) per image, as defined above."""
    p = PRESETS[preset]
    return FLOP_PER_MAC * TRAIN_FACTOR * sum(forward_macs(p.channels, p.head, p.hidden, classes, width).values())


def main() -> None:
    ap = argparse.ArgumentParser(description="Print the analytic FLOP count of the CRNN.")
    ap.add_argument("--preset", default="seed", choices=sorted(PRESETS))
    ap.add_argument("--classes", type=int, default=30657)
    ap.add_argument("--width", type=int, default=512)
    a = ap.parse_args()
    p = PRESETS[a.preset]
    macs = forward_macs(p.channels, p.head, p.hidden, a.classes, a.width)
    for k, v in macs.items():
        print(f"{k:6s} {v / 1e6:10.2f} MMAC")
    total = sum(macs.values())
    print(f"forward {total / 1e9:.3f} GMAC/image; training step "
          f"{train_flops_per_image(a.preset, a.classes, a.width) / 1e9:.3f} GFLOP/image")


if __name__ == "__main__":
    main()
