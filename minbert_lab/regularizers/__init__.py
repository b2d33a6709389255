"""Regularizers added to a task's loss: L2 on the weights, SMART on the embeddings.

``make_regularizer`` builds the one a ``TaskConfig`` names. The two have different inputs, so
the training step calls them differently::

    L2Penalty:        loss + reg(model)
    SmartRegularizer: loss + reg(lambda e: model.forward_from_embeddings(batch, e), emb, out)

``BregmanProximalPoint`` (SMART's optional second half) needs the model, so it is built
directly rather than by name.
"""

from __future__ import annotations

from minbert_lab.config import REGULARIZERS
from minbert_lab.regularizers.l2 import L2Penalty
from minbert_lab.regularizers.smart import (
    BregmanProximalPoint,
    SmartRegularizer,
    divergence,
    scores_of,
    symmetric_kl,
)

__all__ = [
    "TASK_KINDS",
    "BregmanProximalPoint",
    "L2Penalty",
    "SmartRegularizer",
    "divergence",
    "make_regularizer",
    "scores_of",
    "symmetric_kl",
]

# What SMART's l_s compares: class distributions, or a real-valued score.
TASK_KINDS = {"sst": "classification", "para": "classification", "sts": "regression"}
_SMART_KIND = {"classification": "sym_kl", "regression": "mse"}


def make_regularizer(
    name: str, weight: float, *, task_kind: str
) -> L2Penalty | SmartRegularizer | None:
    """Builds the regularizer ``name`` (``config.REGULARIZERS``) with strength ``weight``.

    Args:
        name: ``"none"``, ``"l2"`` or ``"smart"``.
        weight: lambda (L2) or lambda_s (SMART).
        task_kind: ``"classification"`` (SMART uses symmetric KL) or ``"regression"`` (MSE);
            ``TASK_KINDS[task]`` gives it for a task.

    Returns:
        ``None`` for ``"none"``, else the regularizer, with the paper's SMART hyper-parameters.

    Raises:
        ValueError: an unknown name or task kind, listing the valid ones.
    """
    if name not in REGULARIZERS:
        raise ValueError(f"regularizer={name!r} is not valid; choose one of {list(REGULARIZERS)}")
    if task_kind not in _SMART_KIND:
        raise ValueError(f"task_kind={task_kind!r} is not valid; choose one of {list(_SMART_KIND)}")
    if name == "none":
        return None
    if name == "l2":
        return L2Penalty(weight)
    return SmartRegularizer(weight, kind=_SMART_KIND[task_kind])
