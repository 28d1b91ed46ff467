"""PyTorch twin of the crnn-cluster CRNN (contract: specs/model.md).

Used only to generate test fixtures (tools/fixtures) and for the side-by-side training benchmark
(tools/bench); the Swift engine never depends on it.

Shapes (NCHW, time-major sequences):
    x        N x 1 x 32 x W          grey image in [-1, 1] (vertical: N x 1 x H_img x 32, transposed)
    features N x c7 x 1 x T          T = W/4 - 3
    seq      T x N x c7
    logits   T x N x K               raw fc output; blank = class 0

Parameter names and their order (model.named_parameters()) are the contract's: the attributes are
declared in the order conv1..conv5, bn5, conv6, bn6, conv7, rnn1, [emb], rnn2, fc.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


ORIGINAL_BN = (False, False, False, False, True, True, False)
ALL_BN = (True,) * 7


@dataclass(frozen=True)
class Preset:
    """Channel widths c1..c7, recurrent head kind ('gru' | 'lstm'), hidden size H and which convs
    a batch norm follows (the original layout: conv5 and conv6)."""

    channels: tuple[int, int, int, int, int, int, int]
    head: str
    hidden: int
    batch_norm: tuple[bool, ...] = ORIGINAL_BN


PRESETS: dict[str, Preset] = {
    "seed": Preset((64, 128, 256, 256, 512, 512, 512), "gru", 256),
    "paper": Preset((64, 128, 256, 256, 512, 512, 512), "lstm", 256),
    "small": Preset((32, 64, 96, 96, 128, 128, 128), "gru", 96, ALL_BN),
    "mini": Preset((16, 32, 48, 48, 64, 64, 64), "gru", 48, ALL_BN),
    "tiny": Preset((8, 16, 24, 24, 32, 32, 32), "gru", 32, ALL_BN),
}


def sequence_length(width: int) -> int:
    """T for an input of the given width (the sequence axis): W/4 - 3."""
    if width % 4 != 0 or width < 16:
        raise ValueError(f"width {width}: must be a multiple of 4 and at least 16")
    return width // 4 - 3


class CRNN(nn.Module):
    """Conv stack of 7 layers (BN after those batch_norm names; the original: conv5, conv6) + two
    bidirectional recurrent layers + fc.

    head 'gru'  (seed):  rnn1 = GRU(c7, H, bi); rnn2 = GRU(2H, H, bi, h0 = rnn1's h_n); fc(2H, K)
    head 'lstm' (paper): rnn1 = LSTM(c7, H, bi); emb = Linear(2H, H); rnn2 = LSTM(H, H, bi); fc(2H, K)
    """

    def __init__(self, channels, head: str, hidden: int, classes: int, vertical: bool = False,
                 batch_norm=ORIGINAL_BN):
        super().__init__()
        if head not in ("gru", "lstm"):
            raise ValueError(f"head {head!r}: expected 'gru' or 'lstm'")
        if len(channels) != 7 or len(batch_norm) != 7:
            raise ValueError(f"channels {channels!r}, batch_norm {batch_norm!r}: expected 7 of each")
        self.channels = tuple(channels)
        self.head = head
        self.hidden = hidden
        self.classes = classes
        self.vertical = vertical
        self.batch_norm = tuple(batch_norm)
        # Attribute order fixes named_parameters() order: conv1, [bn1], conv2, … conv7, [bn7].
        c_in = 1
        for i, c_out in enumerate(channels):
            kernel, padding = (2, 0) if i == 6 else (3, 1)
            setattr(self, f"conv{i + 1}", nn.Conv2d(c_in, c_out, kernel, 1, padding))
            if batch_norm[i]:
                setattr(self, f"bn{i + 1}", nn.BatchNorm2d(c_out, eps=1e-5, momentum=0.1))
            c_in = c_out
        c7 = channels[6]
        H = hidden
        if head == "gru":
            self.rnn1 = nn.GRU(c7, H, bidirectional=True)
            self.rnn2 = nn.GRU(2 * H, H, bidirectional=True)
        else:
            self.rnn1 = nn.LSTM(c7, H, bidirectional=True)
            self.emb = nn.Linear(2 * H, H)
            self.rnn2 = nn.LSTM(H, H, bidirectional=True)
        self.fc = nn.Linear(2 * H, classes)

    @classmethod
    def preset(cls, name: str, classes: int, vertical: bool = False) -> "CRNN":
        if name not in PRESETS:
            raise ValueError(f"preset {name!r}: expected one of {sorted(PRESETS)}")
        p = PRESETS[name]
        return cls(p.channels, p.head, p.hidden, classes, vertical, p.batch_norm)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """N x 1 x 32 x W -> T x N x c7. conv -> [bn] -> relu -> [pool]; the pools after conv4 and
        conv6 halve the height only."""
        pools = {0: ((2, 2), (2, 2)), 1: ((2, 2), (2, 2)), 3: ((2, 2), (2, 1)), 5: ((2, 2), (2, 1))}
        for i in range(7):
            x = getattr(self, f"conv{i + 1}")(x)
            if self.batch_norm[i]:
                x = getattr(self, f"bn{i + 1}")(x)
            x = F.relu(x)
            if i in pools:
                x = F.max_pool2d(x, *pools[i])
        assert x.shape[2] == 1, f"height after conv7 is {x.shape[2]}, expected 1 (input height 32)"
        return x.squeeze(2).permute(2, 0, 1).contiguous()

    def forward(self, x: torch.Tensor, vertical: bool | None = None) -> torch.Tensor:
        """Logits T x N x K. Vertical images (N x 1 x H_img x 32) are transposed to 32 x H_img."""
        if self.vertical if vertical is None else vertical:
            x = x.transpose(2, 3)
        seq = self.features(x)
        if self.head == "gru":
            out1, h_n = self.rnn1(seq)
            out2, _ = self.rnn2(out1, h_n)
        else:
            out1, _ = self.rnn1(seq)
            out2, _ = self.rnn2(self.emb(out1))
        return self.fc(out2)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _self_check() -> None:
    seed = parameter_count(CRNN.preset("seed", 30657))
    paper = parameter_count(CRNN.preset("paper", 37))
    assert seed == 23_643_329, f"seed preset with 30,657 classes has {seed} parameters"
    assert paper == 8_330_789, f"paper preset with 37 classes has {paper} parameters"


if __name__ == "__main__":
    _self_check()
    m = CRNN.preset("tiny", 11)
    for name, p in m.named_parameters():
        print(f"{name:28s} {tuple(p.shape)}")
    x = torch.rand(2, 1, 32, 48) * 2 - 1
    print("logits", tuple(m(x).shape), "T =", sequence_length(48))
    print("vertical logits", tuple(m(x.transpose(2, 3), vertical=True).shape))
    print("parameter counts OK: seed/30657 = 23,643,329, paper/37 = 8,330,789")
