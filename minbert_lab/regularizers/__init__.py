"""Regularizers added to a task's loss: L2 on the weights, SMART on the embeddings, R-Drop on
dropout, and SMART's Bregman proximal point term on the outputs.

Every regularizer has one call the training step makes, whatever it needs::

    loss = loss + regularizer.penalty(step)   # step: StepOutputs(model, batch, embeddings,
                                              #                   outputs)

so the loop never asks which one it has. ``make_regularizer`` builds the one a ``TaskConfig``
names; ``BregmanProximalPoint`` needs the model (it keeps an EMA teacher of it), so it is built
directly and serves every task of a run.
"""

from __future__ import annotations

from minbert_lab.config import REGULARIZERS
from minbert_lab.regularizers.l2 import L2Penalty
from minbert_lab.regularizers.rdrop import RDropRegularizer
from minbert_lab.regularizers.smart import (
    DIVERGENCE_OF_KIND,
    TASK_KINDS,
    BregmanProximalPoint,
    SmartRegularizer,
    StepOutputs,
    divergence,
    divergence_kind,
    scores_of,
    symmetric_kl,
)

__all__ = [
    "TASK_KINDS",
    "BregmanProximalPoint",
    "L2Penalty",
    "RDropRegularizer",
    "SmartRegularizer",
    "StepOutputs",
    "divergence",
    "divergence_kind",
    "make_regularizer",
    "scores_of",
    "symmetric_kl",
]


# Every regularizer by its config name (``config.REGULARIZERS``, where "none" builds nothing);
# ``tests/regularizers/test___init__.py`` checks that each name builds its own class.
REGULARIZER_CLASSES = {"l2": L2Penalty, "smart": SmartRegularizer, "rdrop": RDropRegularizer}


def make_regularizer(
    name: str, weight: float, *, task_kind: str
) -> L2Penalty | SmartRegularizer | RDropRegularizer | None:
    """Builds the regularizer ``name`` (``config.REGULARIZERS``) with strength ``weight``.

    Args:
        name: ``"none"``, ``"l2"``, ``"smart"`` or ``"rdrop"``.
        weight: lambda (L2), lambda_s (SMART) or alpha (R-Drop).
        task_kind: ``"classification"`` (SMART uses symmetric KL) or ``"regression"`` (MSE);
            ``TASK_KINDS[task]`` gives it for a task.

    Returns:
        ``None`` for ``"none"``, else the regularizer, with the paper's SMART hyper-parameters.

    Raises:
        ValueError: an unknown name or task kind, listing the valid ones.
    """
    if name not in REGULARIZERS:
        raise ValueError(f"regularizer={name!r} is not valid; choose one of {list(REGULARIZERS)}")
    if task_kind not in DIVERGENCE_OF_KIND:
        raise ValueError(f"task_kind={task_kind!r} is not valid; choose one of "
                         f"{list(DIVERGENCE_OF_KIND)}")
    if name == "none":
        return None
    return REGULARIZER_CLASSES[name].for_kind(weight, DIVERGENCE_OF_KIND[task_kind])
