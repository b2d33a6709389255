"""The paper's L2 penalty (``regularizers/l2.py``): ``weight * ||theta||_2``, unsquared."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from minbert_lab.regularizers.l2 import L2Penalty


def test_l2_is_the_weight_times_the_unsquared_norm_of_trainable_parameters():
    layer = nn.Linear(2, 2)
    frozen = nn.Linear(2, 2)
    frozen.requires_grad_(False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 2.0], [0.0, -2.0]]))
        layer.bias.copy_(torch.tensor([4.0, 0.0]))
    model = nn.Sequential(layer, frozen)
    penalty = L2Penalty(0.5)(model)
    assert penalty.item() == pytest.approx(0.5 * 5.0)  # sqrt(1 + 4 + 4 + 16) = 5
    penalty.backward()
    torch.testing.assert_close(layer.weight.grad, 0.5 * layer.weight.detach() / 5.0)
    assert frozen.weight.grad is None


def test_l2_accepts_an_iterable_and_survives_a_zero_tensor():
    zero, w = torch.zeros(3, requires_grad=True), torch.tensor([3.0, 4.0], requires_grad=True)
    penalty = L2Penalty(1.0)([zero, w])
    assert penalty.item() == pytest.approx(5.0)
    penalty.backward()
    assert torch.isfinite(zero.grad).all()


def test_penalty_takes_the_norm_from_the_forward_when_there_is_one():
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[3.0, 0.0]]))
        model.bias.copy_(torch.tensor([4.0]))
    step = SimpleNamespace(model=model, parameter_norm=None)
    assert L2Penalty(2.0).penalty(step).item() == pytest.approx(2.0 * 5.0)  # the model's norm
    taken = SimpleNamespace(model=model, parameter_norm=torch.tensor(7.0))  # DDP's forward
    assert L2Penalty(2.0).penalty(taken).item() == pytest.approx(2.0 * 7.0)


def test_a_negative_weight_or_nothing_trainable_is_refused():
    with pytest.raises(ValueError, match=r"weight=-0\.1"):
        L2Penalty(-0.1)
    with pytest.raises(ValueError, match="no trainable parameters"):
        L2Penalty(1.0)(nn.Linear(2, 2).requires_grad_(False))
