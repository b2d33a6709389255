"""The do-nothing reference (``experiments/zero_shot.py``): the pretrained embeddings' cosine,
with a paraphrase threshold chosen on training pairs; stored like a run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minbert_lab.experiments.zero_shot import PAIR_TASKS, best_threshold, zero_shot
from minbert_lab.metrics import task_metric


def test_the_threshold_separates_the_classes_midway():
    cosines = np.array([0.1, 0.9, 0.3, 0.7])
    labels = np.array([0, 1, 0, 1])
    threshold = best_threshold(cosines, labels)
    assert threshold == pytest.approx(0.5)  # halfway between 0.3 and 0.7
    assert ((cosines > threshold) == labels).all()


def test_the_threshold_maximises_accuracy_when_the_classes_overlap():
    cosines = np.array([0.1, 0.2, 0.35, 0.4, 0.6, 0.8, 0.9])
    labels = np.array([0, 0, 1, 0, 0, 1, 1])
    threshold = best_threshold(cosines, labels)
    accuracy = ((cosines > threshold) == labels).mean()
    best = max(((cosines > t) == labels).mean() for t in np.linspace(0, 1, 101))
    assert accuracy == best == pytest.approx(6 / 7) and 0.6 < threshold < 0.8


def test_only_pair_tasks_have_a_zero_shot_cosine(tmp_path: Path):
    with pytest.raises(ValueError, match=rf"task='sst' .*{PAIR_TASKS[0]!r}, {PAIR_TASKS[1]!r}"):
        zero_shot("sst", profile="smoke", data_dir=tmp_path)


def test_a_smoke_sts_result_is_computed_once_then_loaded(data_dir: Path, tmp_path: Path):
    first = zero_shot("sts", profile="smoke", data_dir=data_dir, runs_dir=tmp_path / "runs",
                      results_dir=tmp_path / "results")
    assert first["cached"] is False and first["threshold"] is None
    stored = first["predictions"]["sts"]
    assert len(stored["ids"]) == 32  # the smoke profile's dev subset
    assert all(0 <= p <= 5 for p in stored["predictions"])  # 2.5 * (cos + 1)
    r = task_metric("sts", np.array(stored["predictions"]), np.array(stored["labels"]))
    assert first["metrics"]["sts_pearson"] == pytest.approx(r, abs=1e-3)  # from rounded values
    assert first["metrics"]["score"] == pytest.approx((first["metrics"]["sts_pearson"] + 1) / 2)
    again = zero_shot("sts", profile="smoke", data_dir=data_dir, runs_dir=tmp_path / "runs",
                      results_dir=tmp_path / "results")
    assert again["cached"] is True and again["metrics"] == first["metrics"]
    assert [p.name for p in (tmp_path / "runs" / "smoke").iterdir()][0].startswith(
        "zero-shot-sts-")
    assert not (tmp_path / "results").exists()  # smoke is not a committed profile
