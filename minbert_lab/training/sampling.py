"""Class-balanced sampling: each training pass resampled so every class is equally likely.

SST-5 is unbalanced (classes 1 and 3 are the most frequent), and the paper traces its model's
habit of predicting mostly 1 and 3 to that. Two remedies change what the model is trained on
in different ways: the class-weighted loss (``losses.WeightedCrossEntropyLoss``) keeps the data
and re-weights each example's loss; the balanced sampler keeps the loss and changes the data.
Each pass draws as many examples as the split has, with replacement, choosing a class uniformly
and then an example of that class uniformly, so rare-class examples repeat within a pass and
frequent-class examples are left out of it.

Example:
    >>> index = balanced_indices(torch.tensor([0, 0, 0, 1]), n=4, seed=0)
    >>> torch.bincount(torch.tensor([0, 0, 0, 1])[index])  # about two of each, in expectation
"""

from __future__ import annotations

import torch

from minbert_lab.config import SAMPLERS
from minbert_lab.data.batch import CPU
from minbert_lab.data.splits import TaskSplit, subset


def balanced_indices(labels: torch.Tensor, *, n: int, seed: int) -> torch.Tensor:
    """``n`` row indices drawn with replacement, each class equally likely.

    Args:
        labels: ``(N,)`` class labels (integers, or floats holding integers: 0/1 paraphrase).
        n: how many to draw.
        seed: seeds the draw (a fresh generator: no global random state is touched).

    Returns:
        ``(n,)`` int64 indices into ``labels``, in random order.
    """
    labels = torch.as_tensor(labels, device=CPU)
    if labels.ndim != 1 or labels.numel() == 0:
        raise ValueError("labels must be a non-empty 1-D tensor")
    classes, labels = torch.unique(labels.long(), return_inverse=True)
    counts = torch.bincount(labels, minlength=len(classes)).double()
    weights = (1.0 / counts)[labels]  # (N,): every class gets total weight 1
    generator = torch.Generator(device=CPU).manual_seed(seed)
    return torch.multinomial(weights, n, replacement=True, generator=generator)


def resample(data: TaskSplit, sampler: str, *, seed: int) -> TaskSplit:
    """The examples one training pass sees: ``data`` itself (``"uniform"``; the batcher
    shuffles it) or a class-balanced draw of the same size (``"balanced"``)."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r} is not valid; choose one of {list(SAMPLERS)}")
    if sampler == "uniform":
        return data
    return subset(data, balanced_indices(data.labels, n=len(data), seed=seed))
