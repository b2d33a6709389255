"""Task losses: ``loss(outputs, labels) -> scalar`` and ``loss.predict(outputs) -> predictions``.

A loss never owns a head; it reads what a head returns (logits for SST, a ``PairOutput`` for
the pair tasks). Because a loss decides what the head's outputs *mean*, it also owns the rule
that turns them into predictions for the metrics:

==================================  ====  ==========================================
loss                                task  ``predict``
==================================  ====  ==========================================
``cross_entropy`` (and ``weighted``)  sst   argmax class id, int64 ``(B,)``
``bce``                             para  ``score > 0`` (probability > 0.5), int64 0/1
``mnr``                             para  ``cos(u, v) > 0.5``, int64 0/1
``cosine_embedding``                para  ``cos(u, v) > (1 + margin) / 2``, int64 0/1
``mse``                             sts   ``score`` clamped to [0, 5], float
``cosine_embedding``                sts   ``2.5 * (cos(u, v) + 1)``, float in [0, 5]
==================================  ====  ==========================================
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from minbert_lab.config import LOSSES, TASKS, loss_name
from minbert_lab.heads import PairOutput

# Cosine above which an embedding-trained pair is called a paraphrase. Neither MNR nor the cosine
# embedding loss learns a threshold, so one must be fixed: the cosine embedding loss (margin 0)
# drives positives to cos = 1 and negatives to cos <= 0, and 0.5 is the midpoint of those
# targets. MNR only ranks positives above in-batch negatives, so its absolute cosines are not
# calibrated; 0.5 is the same midpoint rule, a default to tune on dev rather than a learned value.
COSINE_THRESHOLD = 0.5
# The label at or above which a pair counts as similar (+1) for the cosine embedding loss.
LABEL_THRESHOLDS = {"para": 0.5, "sts": 2.5}


def _siamese(outputs: PairOutput, loss: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(outputs, PairOutput) or outputs.u is None or outputs.v is None:
        raise ValueError(f"loss {loss!r} needs sentence embeddings u, v: use a Siamese head")
    return outputs.u, outputs.v


class TaskLoss(nn.Module):
    """A task's loss: ``forward(outputs, labels)`` and ``predict(outputs)``. Built by name
    through ``LOSS_CLASSES`` and :meth:`for_task`."""

    @classmethod
    def for_task(cls, task: str, class_counts: Sequence[int] | torch.Tensor | None = None,
                 label_smoothing: float = 0.0) -> TaskLoss:
        """This loss for ``task``, given the task's training count per class and the label
        smoothing its config asks for (most losses read neither; ``config`` refuses label
        smoothing for a loss other than cross-entropy)."""
        return cls()


class CrossEntropyLoss(TaskLoss):
    """Softmax cross-entropy on ``(B, C)`` logits and int64 class labels, or ``(B, C)`` target
    distributions (a teacher's soft labels mixed with the gold ones, ``training.distill``).

    ``label_smoothing`` moves that much of the target's mass evenly onto every class
    (``nn.CrossEntropyLoss``'s rule).
    """

    @classmethod
    def for_task(cls, task: str, class_counts: Sequence[int] | torch.Tensor | None = None,
                 label_smoothing: float = 0.0) -> CrossEntropyLoss:
        return cls(label_smoothing=label_smoothing)

    def __init__(self, *, label_smoothing: float = 0.0):
        super().__init__()
        self.label_smoothing = label_smoothing

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)

    def predict(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.argmax(-1)  # (B,)


class WeightedCrossEntropyLoss(CrossEntropyLoss):
    """Cross-entropy with class weights inversely proportional to training class frequencies.

    The paper leaves re-balancing SST-5 as future work; this is the simplest version. Weights
    are ``1 / count`` normalised to mean 1. Like ``nn.CrossEntropyLoss(weight=...)`` the batch
    loss is the *weighted* mean ``sum(w_y * l) / sum(w_y)``, so it stays on plain CE's scale.

    Example:
        >>> WeightedCrossEntropyLoss(class_counts=[1, 2, 4]).weight
        tensor([1.7143, 0.8571, 0.4286])
    """

    @classmethod
    def for_task(cls, task: str, class_counts: Sequence[int] | torch.Tensor | None = None,
                 label_smoothing: float = 0.0) -> WeightedCrossEntropyLoss:
        if class_counts is None:
            raise ValueError("loss='weighted_cross_entropy' needs class_counts (training count"
                             " per class)")
        return cls(class_counts)

    def __init__(self, class_counts: Sequence[int] | torch.Tensor):
        super().__init__()
        self.register_buffer("weight", self.class_weights(class_counts))

    @staticmethod
    def class_weights(class_counts: Sequence[int] | torch.Tensor) -> torch.Tensor:
        """``1 / count``, normalised to mean 1.

        Raises:
            ValueError: fewer than two classes, or a count that is not positive.
        """
        counts = torch.as_tensor(class_counts, dtype=torch.float64)
        if counts.ndim != 1 or counts.numel() < 2 or not bool((counts > 0).all()):
            raise ValueError(f"class_counts={class_counts!r} must be >= 2 positive counts")
        inverse = 1.0 / counts
        return (inverse / inverse.mean()).float()

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, labels, weight=self.weight)


class BinaryCrossEntropyLoss(TaskLoss):
    """Binary cross-entropy on the pair score read as a logit; labels 0/1 (paraphrase)."""

    def forward(self, outputs: PairOutput, labels: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(outputs.score, labels.to(outputs.score.dtype))

    def predict(self, outputs: PairOutput) -> torch.Tensor:
        return (outputs.score > 0).long()  # (B,)


class MSELoss(TaskLoss):
    """Mean squared error between the pair score and the 0-5 similarity label."""

    def forward(self, outputs: PairOutput, labels: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(outputs.score, labels.to(outputs.score.dtype))

    def predict(self, outputs: PairOutput) -> torch.Tensor:
        # CE and S-CD scores are unbounded; clamping to the label range can only help.
        return outputs.score.clamp(0.0, 5.0)  # (B,)


class MultipleNegativesRankingLoss(TaskLoss):
    """Henderson et al. (2017): each anchor must pick its own positive among the batch's positives.

    Only pairs labelled 1 take part: for the K positive pairs, ``S[i, j] = scale * cos(u_i,
    v_j)`` and the loss is cross-entropy with target ``i`` for row ``i`` (the paper's
    ``-1/K sum_i [S(x_i, y_i) - log sum_j exp S(x_i, y_j)]``). The dataset's negative pairs are
    ignored, which the paper suspects is why MNR did worse. With fewer than two positives the
    ranking is empty (one candidate: loss 0; none: NaN), so it returns a zero that keeps the
    graph, and ``backward`` still works.

    Args:
        scale: inverse temperature on the cosines (20, as in sentence-transformers).
        threshold: cosine above which ``predict`` calls a pair a paraphrase.
    """

    def __init__(self, scale: float = 20.0, threshold: float = COSINE_THRESHOLD):
        super().__init__()
        self.scale = scale
        self.threshold = threshold

    def forward(self, outputs: PairOutput, labels: torch.Tensor) -> torch.Tensor:
        u, v = _siamese(outputs, "mnr")
        positive = labels > 0.5
        anchors, positives = u[positive], v[positive]  # (K, D)
        k = anchors.shape[0]
        if k < 2:
            return (u.sum() + v.sum()) * 0.0
        a, b = F.normalize(anchors, dim=-1), F.normalize(positives, dim=-1)  # (K, D)
        scores = self.scale * a @ b.T  # (K, K): scores[i, j] = scale * cos(u_i, v_j)
        return F.cross_entropy(scores, torch.arange(k, device=scores.device))

    def predict(self, outputs: PairOutput) -> torch.Tensor:
        u, v = _siamese(outputs, "mnr")
        return (F.cosine_similarity(u, v, dim=-1) > self.threshold).long()  # (B,)


class CosineEmbeddingLoss(TaskLoss):
    """The cosine embedding loss on the projected sentence embeddings ``u``, ``v``.

    Labels become ``y = +1`` at or above ``label_threshold`` (para: label 1; sts: rating >= 2.5)
    and ``y = -1`` below it; then, as in the paper and ``nn.CosineEmbeddingLoss``,
    ``l = 1 - cos`` for ``y = +1`` and ``l = max(0, cos - margin)`` for ``y = -1``, averaged.

    Args:
        task: ``"para"`` or ``"sts"``; decides the label threshold and what ``predict`` returns.
        margin: how far below ``margin`` a dissimilar pair's cosine may go before it stops
            being penalised.
        label_threshold: overrides the task's default threshold (0.5 para, 2.5 sts).
    """

    @classmethod
    def for_task(cls, task: str, class_counts: Sequence[int] | torch.Tensor | None = None,
                 label_smoothing: float = 0.0) -> CosineEmbeddingLoss:
        return cls(task=task)

    def __init__(self, *, task: str, margin: float = 0.0, label_threshold: float | None = None):
        super().__init__()
        if task not in LABEL_THRESHOLDS:
            raise ValueError(f"task={task!r} is not valid; choose one of {list(LABEL_THRESHOLDS)}")
        self.task = task
        self.margin = margin
        self.label_threshold = (
            LABEL_THRESHOLDS[task] if label_threshold is None else label_threshold
        )

    def forward(self, outputs: PairOutput, labels: torch.Tensor) -> torch.Tensor:
        u, v = _siamese(outputs, "cosine_embedding")
        cos = F.cosine_similarity(u, v, dim=-1)  # (B,)
        similar = labels >= self.label_threshold
        return torch.where(similar, 1 - cos, (cos - self.margin).clamp_min(0)).mean()

    def predict(self, outputs: PairOutput) -> torch.Tensor:
        u, v = _siamese(outputs, "cosine_embedding")
        cos = F.cosine_similarity(u, v, dim=-1)  # (B,)
        if self.task == "sts":
            return 2.5 * (cos + 1)
        # midpoint between the targets: cos = 1 for similar pairs, cos <= margin for the rest
        return (cos > (1 + self.margin) / 2).long()


# Every loss by its config name (``config.LOSSES``); ``tests/test_losses.py`` checks that each
# name the config lists builds its own class.
LOSS_CLASSES: dict[str, type[TaskLoss]] = {
    "cross_entropy": CrossEntropyLoss,
    "weighted_cross_entropy": WeightedCrossEntropyLoss,
    "bce": BinaryCrossEntropyLoss,
    "mse": MSELoss,
    "mnr": MultipleNegativesRankingLoss,
    "cosine_embedding": CosineEmbeddingLoss,
}


def losses_for(task: str) -> tuple[str, ...]:
    """Every loss name valid for ``task`` with some head, in ``config.LOSSES`` order."""
    if task not in TASKS:
        raise ValueError(f"task={task!r} is not valid; choose one of {list(TASKS)}")
    names = (name for (t, _), valid in LOSSES.items() if t == task for name in valid)
    return tuple(dict.fromkeys(names))


def make_loss(
    task: str, name: str, *, class_counts: Sequence[int] | torch.Tensor | None = None,
    label_smoothing: float = 0.0,
) -> TaskLoss:
    """Builds the loss ``name`` for ``task``.

    Args:
        task: ``"sst"``, ``"para"`` or ``"sts"``.
        name: a loss from ``config.LOSSES`` that fits ``task``.
        class_counts: training-set count per class; required by ``"weighted_cross_entropy"``.

    Raises:
        ValueError: an unknown task or loss name (the message lists the valid ones), or
            ``"weighted_cross_entropy"`` without ``class_counts``.
    """
    valid = losses_for(task)
    name = loss_name(name)
    if name not in valid:
        raise ValueError(f"loss={name!r} is not valid for {task}; choose one of {list(valid)}")
    return LOSS_CLASSES[name].for_task(task, class_counts, label_smoothing)
