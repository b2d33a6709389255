"""The balanced sampler: classes drawn equally often, seeded, same size as the split."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from minbert_lab.data.splits import TaskSplit
from minbert_lab.data.tokenized import Ragged
from minbert_lab.training.sampling import balanced_indices, resample

LABELS = torch.tensor([0] * 70 + [1] * 20 + [2] * 10)


def test_every_class_is_drawn_about_equally_often():
    index = balanced_indices(LABELS, n=30_000, seed=0)
    shares = torch.bincount(LABELS[index], minlength=3).double() / len(index)
    assert shares.tolist() == pytest.approx([1 / 3] * 3, abs=0.02)
    within = torch.bincount(index[LABELS[index] == 2], minlength=100)[90:]
    assert (within > 0).all()  # every example of the rare class gets drawn


def test_draws_are_seeded_and_float_labels_work():
    a = balanced_indices(LABELS, n=100, seed=3)
    assert torch.equal(a, balanced_indices(LABELS, n=100, seed=3))
    assert not torch.equal(a, balanced_indices(LABELS, n=100, seed=4))
    float_index = balanced_indices(LABELS.float(), n=100, seed=3)
    assert torch.equal(a, float_index)


def _split() -> TaskSplit:
    frame = pd.DataFrame({"id": [f"s{i}" for i in range(len(LABELS))], "sentence1": "x",
                          "sentence2": "", "label": LABELS.tolist()})
    tokens = Ragged.from_lists([[101, 7 + i % 5, 102] for i in range(len(LABELS))])
    return TaskSplit("sst", "train", frame, tokens, None, LABELS)


def test_resample_keeps_the_size_and_rows_together():
    data = _split()
    assert resample(data, "uniform", seed=0) is data
    balanced = resample(data, "balanced", seed=0)
    assert len(balanced) == len(data)
    rows = balanced.frame["id"].str[1:].astype(int).to_numpy().copy()
    assert balanced.labels.tolist() == LABELS[rows].tolist()  # labels follow their rows
    assert balanced.a[0].tolist() == data.a[int(rows[0])].tolist()
    with pytest.raises(ValueError, match="sampler='stratified'"):
        resample(data, "stratified", seed=0)
