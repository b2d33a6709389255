from __future__ import annotations

import pytest
import torch
from torch import nn

from minbert_lab.regularizers import RDropRegularizer, StepOutputs, make_regularizer


class DropoutModel(nn.Module):
    """``forward_from_embeddings`` as a multitask model has it, with dropout inside."""

    def __init__(self, p: float):
        super().__init__()
        self.dropout = nn.Dropout(p)
        self.to_logits = nn.Linear(6, 5)

    def forward_from_embeddings(self, batch, embeddings: torch.Tensor) -> torch.Tensor:
        return self.to_logits(self.dropout(embeddings).mean(1))  # (N, 5)


def _step(model: DropoutModel) -> StepOutputs:
    torch.manual_seed(0)
    embeddings = torch.randn(4, 3, 6, requires_grad=True)
    return StepOutputs(model, None, embeddings, model.forward_from_embeddings(None, embeddings))


def test_rdrop_is_zero_without_dropout_and_positive_with_it() -> None:
    assert RDropRegularizer(1.0).penalty(_step(DropoutModel(0.0).train())).item() == 0.0
    model = DropoutModel(0.5).train()
    penalty = RDropRegularizer(2.0).penalty(_step(model))
    assert penalty.item() > 0
    penalty.backward()
    assert model.to_logits.weight.grad.abs().sum() > 0  # it trains the model


def test_make_regularizer_builds_rdrop_with_the_task_divergence() -> None:
    assert make_regularizer("rdrop", 0.5, task_kind="regression").kind == "mse"
    assert make_regularizer("rdrop", 0.5, task_kind="classification").kind == "sym_kl"
    with pytest.raises(ValueError, match="weight"):
        RDropRegularizer(-1.0)
