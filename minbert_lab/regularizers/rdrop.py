"""R-Drop (Liang et al., 2021, "R-Drop: Regularized Dropout for Neural Networks").

Each training batch goes through the model twice; dropout draws other masks the second time,
and the two outputs are pulled together by the same divergence SMART uses (symmetric KL for
classes, squared error for a score), with gradients through both passes. It asks the model to
give the same answer whichever sub-network dropout samples: a cheaper cousin of SMART's
adversarial smoothness (one extra forward-backward, no ascent step).
"""

from __future__ import annotations

import torch

from minbert_lab.regularizers.smart import StepOutputs, _check_kind, divergence


class RDropRegularizer:
    """``weight * l_s(f(x; second dropout masks), f(x; first masks))``.

    Example:
        >>> rdrop = RDropRegularizer(1.0, kind="sym_kl")
        >>> loss = task_loss + rdrop.penalty(StepOutputs(model, batch, embeddings, outputs))
    """

    needs_parameter_norm = False

    @classmethod
    def for_kind(cls, weight: float, kind: str) -> RDropRegularizer:
        """Built by name (``make_regularizer``), comparing outputs by divergence ``kind``."""
        return cls(weight, kind=kind)

    def __init__(self, weight: float, *, kind: str = "sym_kl"):
        _check_kind(kind)
        if weight < 0:
            raise ValueError(f"weight={weight!r} is not valid; it must be >= 0")
        self.weight, self.kind = weight, kind

    def penalty(self, step: StepOutputs) -> torch.Tensor:
        """The training step's call: a second pass over the same embeddings."""
        second = step.model.forward_from_embeddings(step.batch, step.embeddings)
        return self.weight * divergence(self.kind, second, step.outputs)

    def __repr__(self) -> str:
        return f"RDropRegularizer(weight={self.weight}, kind={self.kind!r})"
