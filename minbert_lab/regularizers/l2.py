"""The paper's L2 penalty: ``lambda * ||theta||_2`` added to a task's loss."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from minbert_lab.encoder.parameter_norm import parameter_norm


class L2Penalty:
    """``weight * ||theta||_2`` over the trainable parameters, the norm itself (not squared).

    This is the paper's ``F(theta) = L(theta) + lambda ||theta||_2``. It is not AdamW's weight
    decay: decay shrinks each weight by ``lr * wd * w`` outside the gradient, while this term
    goes through the gradient (and Adam's rescaling), and its gradient ``theta / ||theta||``
    has a fixed size whatever the weights' magnitude.

    Example:
        >>> loss = task_loss + L2Penalty(1e-3)(model)
    """

    needs_parameter_norm = True  # under DDP the model's forward takes it (see ``penalty``)

    @classmethod
    def for_kind(cls, weight: float, kind: str) -> L2Penalty:
        """Built by name (``make_regularizer``); a weight penalty reads no outputs, so ``kind``
        is unused."""
        return cls(weight)

    def __init__(self, weight: float):
        if weight < 0:
            raise ValueError(f"weight={weight!r} is not valid; it must be >= 0")
        self.weight = weight

    def __call__(self, parameters: nn.Module | Iterable[torch.Tensor]) -> torch.Tensor:
        """The penalty for a module's (or an iterable's) parameters that require grad."""
        try:
            return self.weight * parameter_norm(parameters)
        except ValueError:
            raise ValueError("L2Penalty got no trainable parameters") from None

    def penalty(self, step) -> torch.Tensor:
        """The training step's call (``regularizers.StepOutputs``): the penalty of its model,
        from the norm the model's forward took when the step ran under DDP (a weight a loss
        reads must be reached through DDP's forward, or DDP counts it as unused)."""
        if step.parameter_norm is not None:
            return self.weight * step.parameter_norm
        return self(step.model)

    def __repr__(self) -> str:
        return f"L2Penalty(weight={self.weight})"
