"""Dropout with a cheaper random mask on CPU: the same ``p``, a quarter of the random draws."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """``F.dropout`` with a cheaper random mask on CPU.

    On CPU ``F.dropout`` draws one float per element through ``bernoulli_`` (about 6 ns each here,
    a tenth of a MiniLM training step). Reading each 64-bit word of the generator as four 16-bit
    uniforms needs a quarter of the draws, at the price of rounding ``p`` to a multiple of 1/65536
    (0.1 becomes 0.100006). ``torch.manual_seed`` still fixes the masks. Other devices keep
    ``F.dropout``'s fused kernel.
    """
    if not training or p == 0.0:
        return x
    if x.device.type != "cpu":
        return F.dropout(x, p, training=True)
    n = x.numel()
    words = torch.empty((n + 3) // 4, dtype=torch.int64, device=x.device)
    words.random_(-(2**63), None)  # all 64 bits
    uniform = words.view(torch.int16)[:n].view(x.shape)  # each in [-32768, 32767]
    keep = uniform >= round(p * 65536) - 32768  # True with probability 1 - p
    return x * (keep * (1.0 / (1.0 - p)))  # one multiply in the backward pass, not two


class Dropout(nn.Dropout):
    """``nn.Dropout`` (same ``p``, same place in the module tree) running ``dropout`` above."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training)
