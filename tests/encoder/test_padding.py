"""Padding packs a padded batch's real tokens and puts them back in their grid."""

from __future__ import annotations

import torch

from minbert_lab.encoder.padding import Padding


def test_padding_packs_real_tokens_and_pads_back_with_zeros():
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    x = torch.arange(2 * 3 * 2, dtype=torch.float).view(2, 3, 2)
    padding = Padding.of(mask)
    packed = padding.unpad(x)  # (N, D)
    assert packed.tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]]
    back = padding.pad(packed)
    assert torch.equal(back[mask.bool()], x[mask.bool()])
    assert torch.equal(back[~mask.bool()], torch.zeros(2, 2))


def test_no_padding_means_no_packing():
    assert Padding.of(torch.ones(2, 3)) is None and Padding.of(None) is None


def test_mask_broadcasts_over_heads_and_queries():
    padding = Padding.of(torch.tensor([[1, 1, 0], [1, 0, 0]]))
    assert padding.mask.shape == (2, 1, 1, 3) and padding.mask.dtype == torch.bool
    assert padding.index.tolist() == [0, 1, 3]
