"""The study's dev metrics and the leaderboard composite (``metrics.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from minbert_lab.metrics import (
    METRIC_NAMES,
    METRIC_OF,
    METRICS,
    composite,
    normalized,
    task_metric,
)


def test_metrics_and_composite() -> None:
    assert task_metric("sst", np.array([1, 2, 3]), np.array([1, 2, 4])) == pytest.approx(2 / 3)
    r = task_metric("sts", np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0]))
    assert r == pytest.approx(1)
    assert task_metric("sts", np.array([1.0, 1.0]), np.array([2.0, 4.0])) == 0.0
    metrics = {"sst_acc": 0.5, "para_acc": 0.8, "sts_pearson": 0.6}
    assert composite(metrics) == pytest.approx((0.5 + 0.8 + 0.8) / 3)
    assert composite({"sts_pearson": 0.0}) == 0.5


def test_only_pearson_is_mapped_onto_zero_to_one():
    assert normalized("sts", -1.0) == 0.0 and normalized("sts", 1.0) == 1.0
    assert normalized("sst", 0.3) == 0.3 and normalized("para", 0.7) == 0.7


def test_a_composite_of_no_task_metric_names_what_it_got():
    with pytest.raises(ValueError, match=r"no task metric among \['epoch', 'loss'\]"):
        composite({"loss": 1.0, "epoch": 0})


def test_every_metric_has_a_display_name():
    assert METRICS == (*METRIC_OF.values(), "score")
    assert set(METRICS) <= set(METRIC_NAMES)
