"""Divergence guards (``training/divergence.py``): a NaN gradient is reported, never clipped into
every weight, and the error says where it happened."""

from __future__ import annotations

import torch
from torch import nn

from minbert_lab.data.batch import Batch, Encoded
from minbert_lab.training.divergence import (
    TrainingDivergedError,
    clip_gradients,
    diverged,
    nonfinite_gradient,
)


def _model_with_grads(weight_grad: list[list[float]], bias_grad: list[float]) -> nn.Linear:
    model = nn.Linear(2, 2)
    model.weight.grad = torch.tensor(weight_grad)
    model.bias.grad = torch.tensor(bias_grad)
    return model


def test_a_nan_gradient_is_refused_and_left_alone():
    model = _model_with_grads([[3.0, 0.0], [0.0, 4.0]], [float("nan"), 0.0])
    assert clip_gradients(model, max_norm=1.0) is False
    assert model.weight.grad.tolist() == [[3.0, 0.0], [0.0, 4.0]]  # not spread, not scaled
    assert nonfinite_gradient(model) == "bias"


def test_finite_gradients_are_clipped_to_the_norm_or_kept_without_a_limit():
    model = _model_with_grads([[3.0, 0.0], [0.0, 4.0]], [0.0, 0.0])  # total norm 5
    assert clip_gradients(model, max_norm=0.0) is True
    assert model.weight.grad.tolist() == [[3.0, 0.0], [0.0, 4.0]]
    assert clip_gradients(model, max_norm=1.0) is True
    total = torch.linalg.vector_norm(torch.cat([p.grad.flatten() for p in model.parameters()]))
    assert abs(total.item() - 1.0) < 1e-5


def test_nonfinite_gradient_names_the_first_bad_parameter_or_none():
    model = _model_with_grads([[float("inf"), 0.0], [0.0, 0.0]], [float("nan"), 0.0])
    assert nonfinite_gradient(model) == "weight"
    assert nonfinite_gradient(_model_with_grads([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])) == (
        "no parameter")


def test_the_error_names_step_epoch_task_and_the_first_batch_ids():
    ids = torch.zeros(4, 2, dtype=torch.int64)
    batch = Batch("sts", "cross", Encoded(ids, ids, ids), torch.zeros(4), ["a", "b", "c", "d"])
    error = diverged("loss became nan", step=7, epoch=2, task="sts", batch=batch)
    message = str(error)
    assert isinstance(error, TrainingDivergedError) and message.startswith("loss became nan")
    assert "step 7" in message and "epoch 3" in message and "task sts" in message  # 1-based
    assert "['a', 'b', 'c']" in message and "'d'" not in message
    assert "learning rate" in message  # and what to try
