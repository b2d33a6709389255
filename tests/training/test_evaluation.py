"""Dev evaluation (``training/evaluation.py``): each task's metric from its predictions, in the dev
file's order, and no score from non-finite outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from smoke_configs import SST_SMOKE

from minbert_lab.heads import PairOutput
from minbert_lab.metrics import METRIC_OF, composite, task_metric
from minbert_lab.training.divergence import TrainingDivergedError
from minbert_lab.training.evaluation import confidence, evaluate
from minbert_lab.training.trainee import build

CPU = torch.device("cpu")


def test_confidence_is_the_top_class_probability_or_the_pair_score():
    logits = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    assert confidence(logits).tolist() == pytest.approx([0.5, 1.0], abs=1e-4)
    score = torch.tensor([0.3, -2.0])
    assert torch.equal(confidence(PairOutput(score, None, None)), score)


def test_metrics_are_those_of_the_predictions_in_dev_file_order(data_dir: Path):
    trainee = build(SST_SMOKE.resolved(), data_dir)
    trainee.model.train()
    metrics, predictions = evaluate(trainee, CPU)
    assert not trainee.model.training  # evaluated with dropout off
    found = predictions["sst"]
    assert found["ids"] == trainee.dev["sst"].frame["id"].tolist()
    assert found["labels"] == trainee.dev["sst"].labels.tolist()
    assert metrics["sst_acc"] == task_metric("sst", np.array(found["predictions"]),
                                             np.array(found["labels"]))
    assert metrics["score"] == composite({"sst_acc": metrics["sst_acc"]})
    assert len(found["scores"]) == len(found["ids"]) == 32


def test_a_smoke_runs_stored_metrics_are_its_stored_predictions(smoke_result: dict):
    for task, stored in smoke_result["predictions"].items():
        recomputed = task_metric(task, np.array(stored["predictions"]),
                                 np.array(stored["labels"]))
        assert smoke_result["metrics"][METRIC_OF[task]] == pytest.approx(recomputed)
    assert smoke_result["metrics"]["score"] == pytest.approx(composite(smoke_result["metrics"]))


def test_nonfinite_dev_outputs_are_an_error_not_a_score(data_dir: Path):
    trainee = build(SST_SMOKE.resolved(), data_dir)
    trainee.model.heads["sst"].register_forward_hook(lambda m, i, out: out * float("nan"))
    with pytest.raises(TrainingDivergedError, match="sst dev outputs are not finite"):
        evaluate(trainee, CPU)
