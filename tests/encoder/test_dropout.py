"""The cheap CPU dropout keeps 1 - p of the elements, rescales them, and follows the seed."""

from __future__ import annotations

import pytest
import torch

from minbert_lab.encoder.dropout import Dropout, dropout


def test_dropout_is_identity_in_eval_and_at_zero():
    x = torch.randn(4, 5)
    assert dropout(x, 0.1, training=False) is x
    assert dropout(x, 0.0, training=True) is x


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_dropout_keeps_one_minus_p_and_rescales(p):
    torch.manual_seed(0)
    x = torch.rand(1000, 1001) + 1.0  # odd size: not a multiple of the 4 draws per word
    y = dropout(x, p, training=True)
    kept = y != 0
    n = x.numel()
    assert abs(kept.float().mean().item() - (1 - p)) < 4 * (p * (1 - p) / n) ** 0.5
    torch.testing.assert_close(y[kept], x[kept] / (1 - p))


def test_dropout_is_seeded_and_independent_across_positions():
    torch.manual_seed(1)
    a = dropout(torch.ones(64, 64), 0.5, training=True) != 0
    torch.manual_seed(1)
    b = dropout(torch.ones(64, 64), 0.5, training=True) != 0
    assert torch.equal(a, b)
    # Neighbouring elements (read from one 64-bit word) agree only by chance.
    assert abs((a[:, 1:] == a[:, :-1]).float().mean().item() - 0.5) < 0.05


def test_dropout_gradient_is_the_mask_rescaled():
    torch.manual_seed(2)
    x = torch.randn(7, 9, requires_grad=True)
    y = dropout(x, 0.25, training=True)
    y.sum().backward()
    torch.testing.assert_close(x.grad, (y != 0).float() / 0.75)


def test_module_follows_train_and_eval():
    module = Dropout(0.5)
    x = torch.ones(8, 8)
    assert module.eval()(x) is x
    torch.manual_seed(3)
    trained = module.train()(x)
    torch.manual_seed(3)
    assert torch.equal(trained, dropout(x, 0.5, training=True))
