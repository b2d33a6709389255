"""Gradient surgery (PCGrad; Yu et al., 2020, "Gradient Surgery for Multi-Task Learning").

When one optimizer step trains a batch of every task (``tasks_per_step="all"``), the plain
update is the sum of the task gradients. Where two tasks' gradients conflict (negative dot
product), that sum lets one task undo the other's progress. PCGrad removes, from each task's
gradient, its component along every other task gradient it conflicts with (the others taken
in a random order), then sums what is left:

    g_i^PC = g_i;  for j != i in random order: if g_i^PC . g_j < 0:
                                                   g_i^PC -= (g_i^PC . g_j / ||g_j||^2) g_j
    update = sum_i g_i^PC

Projections are always onto the *original* ``g_j`` (Algorithm 1 of the paper). Surgery applies
to the shared parameters (encoder and shared trunk) only: a head is trained by one task, so
its gradient has nothing to conflict with and is left as it is.

Example:
    >>> combined, projections = pcgrad([torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 1.0])])
    >>> combined, projections
    (tensor([0.5000, 1.5000]), [1, 1])
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
from torch import nn

from minbert_lab.config import GRADIENT_SURGERIES


def pcgrad(
    gradients: Sequence[torch.Tensor], *, rng: random.Random | None = None
) -> tuple[torch.Tensor, list[int]]:
    """PCGrad's combined gradient of several tasks.

    Args:
        gradients: one flat gradient per task, all of the same shape.
        rng: shuffles the order in which each task meets the others (the paper's random
            order, which matters with three or more tasks); ``None`` keeps the given order.

    Returns:
        The sum of the projected gradients, and per task how many projections it underwent.
    """
    if not gradients:
        raise ValueError("gradients is empty; give one gradient per task")
    shapes = {tuple(g.shape) for g in gradients}
    if len(shapes) != 1:
        raise ValueError(f"task gradients must share one shape, got {sorted(shapes)}")
    combined = torch.zeros_like(gradients[0])
    projections = []
    for i, g_i in enumerate(gradients):
        projected = g_i.clone()
        others = [j for j in range(len(gradients)) if j != i]
        if rng is not None:
            rng.shuffle(others)
        count = 0
        for j in others:
            g_j = gradients[j]
            dot = torch.dot(projected, g_j)
            if dot < 0:  # a negative dot product means g_j is non-zero, so the norm is safe
                projected -= dot / torch.dot(g_j, g_j) * g_j
                count += 1
        combined += projected
        projections.append(count)
    return combined, projections


class StepGradients:
    """The gradients of one optimizer step that trains one or several tasks.

    Call :meth:`backward` once per task loss, then :meth:`apply` before the optimizer step.
    Without surgery this is plain accumulation (``loss.backward()`` per task: the gradient of
    the summed losses, and for a single task exactly the usual step). With ``"pcgrad"``, each
    task's shared-parameter gradient is taken out after its backward pass and :meth:`apply`
    writes PCGrad's combination back; head gradients accumulate as usual.

    Args:
        shared: the parameters every task trains through (``model.shared_parameters()``).
        surgery: ``"none"`` or ``"pcgrad"``.
        seed: seeds PCGrad's random task order, so a run repeats exactly.
    """

    def __init__(self, shared: Sequence[nn.Parameter], surgery: str = "none", *,
                 seed: int = 0) -> None:
        if surgery not in GRADIENT_SURGERIES:
            raise ValueError(f"gradient_surgery={surgery!r} is not valid; choose one of "
                             f"{list(GRADIENT_SURGERIES)}")
        self.shared = list(shared)
        self.surgery = surgery
        self.rng = random.Random(seed)
        self._task_gradients: dict[str, torch.Tensor] = {}

    def backward(self, task: str, loss: torch.Tensor) -> None:
        """Back-propagates one task's loss."""
        loss.backward()
        if self.surgery == "pcgrad":
            self._task_gradients[task] = flat_gradient(self.shared)
            for p in self.shared:  # the next task's backward must start from zero here
                p.grad = None

    def apply(self) -> dict[str, int]:
        """Writes the combined shared gradient into ``.grad``.

        Returns:
            Per task, how many other tasks' gradients its own was projected against (empty
            without surgery).
        """
        if not self._task_gradients:
            return {}
        tasks = list(self._task_gradients)
        combined, projections = pcgrad([self._task_gradients[t] for t in tasks], rng=self.rng)
        offset = 0
        for p in self.shared:
            n = p.numel()
            p.grad = combined[offset : offset + n].view_as(p)
            offset += n
        self._task_gradients = {}
        return dict(zip(tasks, projections))


def flat_gradient(params: Sequence[nn.Parameter]) -> torch.Tensor:
    """All of ``params``' gradients as one flat vector; zeros where a parameter has none."""
    return torch.cat([
        p.grad.reshape(-1) if p.grad is not None else p.new_zeros(p.numel()) for p in params
    ])
