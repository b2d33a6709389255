"""Dev metrics of the study and the leaderboard's composite score: their names, defined once."""

from __future__ import annotations

import numpy as np

METRIC_OF = {"sst": "sst_acc", "para": "para_acc", "sts": "sts_pearson"}  # task -> its metric
METRICS = (*METRIC_OF.values(), "score")  # "score": the composite below (every run stores it)
# Mean per-class SST recall: what class balancing targets. Computed from a run's predictions
# (``stats.significance``), never stored with its metrics.
SST_MACRO_RECALL = "sst_macro_recall"
METRIC_NAMES = {"sst_acc": "SST accuracy", "para_acc": "paraphrase accuracy",
                "sts_pearson": "STS Pearson r", "score": "composite score",
                SST_MACRO_RECALL: "SST macro recall"}


def task_metric(task: str, predictions: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy for SST and paraphrase; Pearson r for STS (0 when a side is constant)."""
    predictions, labels = np.asarray(predictions, float), np.asarray(labels, float)
    if task == "sts":
        if predictions.std() == 0 or labels.std() == 0:
            return 0.0
        return float(np.corrcoef(predictions, labels)[0, 1])
    return float((predictions == labels).mean())


def normalized(task: str, value: float) -> float:
    """Maps a task metric to [0, 1] the way the composite does: Pearson r -> (r + 1) / 2."""
    return (value + 1) / 2 if task == "sts" else value


def composite(metrics: dict[str, float]) -> float:
    """``S = (sst_acc + (sts_pearson + 1) / 2 + para_acc) / 3`` over the tasks present.

    With all three tasks this is the leaderboard score; a single-task run gets its one
    normalised metric, so "best epoch" means the same thing everywhere.
    """
    parts = [normalized(t, metrics[m]) for t, m in METRIC_OF.items() if m in metrics]
    if not parts:
        raise ValueError(f"no task metric among {sorted(metrics)}")
    return float(sum(parts) / len(parts))
