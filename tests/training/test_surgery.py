"""PCGrad on hand-made gradients, and StepGradients on a tiny two-head model."""

from __future__ import annotations

import random

import pytest
import torch
from torch import nn

from minbert_lab.training.surgery import StepGradients, flat_gradient, pcgrad


def test_conflicting_gradients_get_the_known_projection():
    g1, g2 = torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 1.0])  # g1 . g2 = -1
    combined, projections = pcgrad([g1, g2])
    # g1 - (-1 / 2) g2 = [0.5, 0.5];  g2 - (-1 / 1) g1 = [0, 1]
    torch.testing.assert_close(combined, torch.tensor([0.5, 1.5]))
    assert projections == [1, 1]
    # each projected gradient is orthogonal to the other task's original gradient
    torch.testing.assert_close(torch.dot(torch.tensor([0.5, 0.5]), g2), torch.tensor(0.0))


def test_non_conflicting_gradients_are_simply_summed():
    grads = [torch.tensor([1.0, 2.0, 0.0]), torch.tensor([0.5, 0.0, 1.0]),
             torch.tensor([0.0, 1.0, 3.0])]  # every dot product >= 0
    combined, projections = pcgrad(grads, rng=random.Random(0))
    torch.testing.assert_close(combined, torch.stack(grads).sum(0))
    assert projections == [0, 0, 0]
    torch.testing.assert_close(grads[0], torch.tensor([1.0, 2.0, 0.0]))  # inputs not modified


def test_projection_is_onto_the_original_gradients_in_the_given_order():
    g1, g2, g3 = torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 1.0]), torch.tensor([0.0, -1.0])
    first, _ = pcgrad([g1, g2, g3])  # g1 meets g2 then g3 (the order given, no rng)
    # task 1: g1 -> [0.5, 0.5] (vs g2) -> [0.5, 0] (vs g3: dot -0.5, g3 . g3 = 1)
    # task 2: vs g1 (dot -1) -> [0, 1]; vs g3 (dot -1) -> [0, 0]
    # task 3: vs g1 (dot 0, no conflict); vs g2 (dot -1, |g2|^2 = 2) -> [-0.5, -0.5]
    torch.testing.assert_close(first, torch.tensor([0.0, -0.5]))


def test_a_seeded_order_repeats():
    grads = [torch.randn(20, generator=torch.Generator().manual_seed(k)) for k in range(4)]
    a, _ = pcgrad(grads, rng=random.Random(3))
    b, _ = pcgrad(grads, rng=random.Random(3))
    torch.testing.assert_close(a, b)


def test_pcgrad_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        pcgrad([])
    with pytest.raises(ValueError, match="shape"):
        pcgrad([torch.zeros(2), torch.zeros(3)])
    with pytest.raises(ValueError, match="gradient_surgery='mgda'"):
        StepGradients([], "mgda")


class _TwoHeads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.shared = nn.Linear(3, 2)
        self.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 1)})

    def loss(self, task: str, x: torch.Tensor, sign: float = 1.0) -> torch.Tensor:
        return sign * self.heads[task](self.shared(x)).sum()


def _grads(model: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.grad.clone() for n, p in model.named_parameters()}


def test_without_surgery_a_step_is_the_gradient_of_the_summed_losses():
    model, x = _TwoHeads(), torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    step = StepGradients(list(model.shared.parameters()))
    step.backward("a", model.loss("a", x))
    step.backward("b", model.loss("b", x))
    assert step.apply() == {}
    summed = _grads(model)
    model.zero_grad(set_to_none=True)
    (model.loss("a", x) + model.loss("b", x)).backward()
    for name, grad in _grads(model).items():
        torch.testing.assert_close(summed[name], grad)


def test_pcgrad_step_projects_the_shared_gradients_and_keeps_the_heads():
    model, x = _TwoHeads(), torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():  # b's loss is minus a's: exactly opposite shared gradients
        model.heads["b"].load_state_dict(model.heads["a"].state_dict())
    shared = list(model.shared.parameters())
    expected = []
    for task, sign in (("a", 1.0), ("b", -1.0)):  # b pulls against a
        model.zero_grad(set_to_none=True)
        model.loss(task, x, sign).backward()
        expected.append(flat_gradient(shared))
    heads = {n: p.grad for n, p in model.heads.named_parameters() if n.startswith("b")}
    model.zero_grad(set_to_none=True)
    step = StepGradients(shared, "pcgrad", seed=0)
    step.backward("a", model.loss("a", x))
    step.backward("b", model.loss("b", x, -1.0))
    projections = step.apply()
    combined, counts = pcgrad(expected)
    torch.testing.assert_close(flat_gradient(shared), combined)
    # each projected away from the other: opposite gradients cancel (summing would too, but
    # the projections were made, one per task)
    torch.testing.assert_close(combined, torch.zeros_like(combined))
    assert projections == {"a": 1, "b": 1} and counts == [1, 1]
    for name, p in model.heads.named_parameters():
        if name.startswith("b"):
            torch.testing.assert_close(p.grad, heads[name])  # untouched by surgery
