"""Running a padded batch's token-by-token layers on its real tokens only."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Padding:
    """Where a padded batch's N real tokens sit in its (B, T) grid.

    Everything in a layer except attention works token by token, so it runs on the (N, H) real
    tokens alone: a batch that is a quarter padding then costs a quarter less matmul. Attention
    alone needs the grid, and gets it back with ``pad``.
    """

    mask: torch.Tensor  # (B, 1, 1, T) bool, True where the key is a real token
    index: torch.Tensor  # (N,) positions of the real tokens in the flattened (B * T) grid

    @classmethod
    def of(cls, attention_mask: torch.Tensor | None) -> Padding | None:
        """None for a batch without padding: it needs neither a mask nor packing."""
        if attention_mask is None:
            return None
        index = attention_mask.flatten().nonzero().squeeze(1)  # waits for a GPU, once a batch
        if len(index) == attention_mask.numel():
            return None
        return cls(attention_mask.bool()[:, None, None, :], index)

    def unpad(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, D) -> (N, D), the real tokens in order."""
        return x.reshape(-1, x.size(-1)).index_select(0, self.index)

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        """(N, D) -> (B, T, D), zeros at the padded positions."""
        B, T = self.mask.size(0), self.mask.size(-1)
        # In place: index_copy (no underscore) would first copy the zeros.
        grid = x.new_zeros(B * T, x.size(-1)).index_copy_(0, self.index, x)
        return grid.view(B, T, -1)
