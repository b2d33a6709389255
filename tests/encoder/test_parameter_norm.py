"""``||theta||_2`` of a model's trainable weights (``encoder/parameter_norm.py``)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from minbert_lab.encoder.parameter_norm import parameter_norm


def test_the_norm_is_that_of_every_trainable_weight_concatenated():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    model[1].bias.requires_grad_(False)  # frozen: left out
    trainable = torch.cat([p.detach().flatten() for p in model.parameters() if p.requires_grad])
    norm = parameter_norm(model)
    torch.testing.assert_close(norm, torch.linalg.vector_norm(trainable))
    torch.testing.assert_close(parameter_norm(list(model.parameters())), norm)  # an iterable


def test_the_gradient_flows_to_the_weights():
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    parameter_norm([w]).backward()
    torch.testing.assert_close(w.grad, torch.tensor([0.6, 0.8]))  # w / ||w||


def test_nothing_trainable_is_an_error():
    with pytest.raises(ValueError, match="no trainable parameters"):
        parameter_norm(nn.Linear(2, 2).requires_grad_(False))
