"""What limits the score: each task at its best stored value, combined."""

from __future__ import annotations

import pytest

from minbert_lab.analysis.ceiling import EVERY_TASK_AT_ITS_BEST, score_ceiling
from minbert_lab.metrics import composite


def _run(**metrics: float) -> dict:
    return {"metrics": {**metrics, "score": composite(metrics)}}


def test_each_task_at_its_best_run_combines_into_a_score_no_run_reached() -> None:
    runs = {"sst alone": _run(sst_acc=0.50),
            "multitask a": _run(sst_acc=0.47, para_acc=0.84, sts_pearson=0.86),
            "multitask b": _run(sst_acc=0.48, para_acc=0.83, sts_pearson=0.87),
            "sts alone": _run(sts_pearson=0.88)}
    model = [runs["multitask a"], runs["multitask b"]]
    table = score_ceiling(runs, model)
    assert table["by"].tolist() == ["sst alone", "multitask a", "sts alone",
                                    EVERY_TASK_AT_ITS_BEST, "multitask b"]
    ceiling = composite({"sst_acc": 0.50, "para_acc": 0.84, "sts_pearson": 0.88})
    assert table.loc[3, "best reached"] == round(ceiling, 4)
    assert table.loc[4, "best reached"] == round(runs["multitask b"]["metrics"]["score"], 4)
    assert table.loc[0, "model (mean over seeds)"] == 0.475
    assert table.loc[0, "best minus model"] == 0.025


def test_a_task_no_run_was_scored_on_is_an_error() -> None:
    with pytest.raises(ValueError, match="no stored run was scored on para"):
        score_ceiling({"sst alone": _run(sst_acc=0.5), "sts alone": _run(sts_pearson=0.8)}, [])
