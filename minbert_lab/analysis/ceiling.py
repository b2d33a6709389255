"""What limits the score: each task at the best value any stored run has reached.

A multitask model scores ``(sst + (sts + 1) / 2 + para) / 3``. Taking, task by task, the best
dev metric that any stored run of the profile reached (single-task or multitask, any config,
any seed) and combining them gives a score no run reached: if even that is below a target,
no choice among the stored configs reaches it, and the table says which task holds it back.
It is a ceiling of what was tried, read from single runs (the best of many seeds and configs
is biased upwards by the choice), not a bound on what the checkpoint could do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from minbert_lab.metrics import METRIC_OF, composite

EVERY_TASK_AT_ITS_BEST = "every task at its best (no one run)"


def score_ceiling(runs: Mapping[str, dict], model: Sequence[dict]) -> pd.DataFrame:
    """One row per task: the best value of its metric among ``runs`` (label -> one stored
    run) and the run that reached it, beside ``model``'s mean over its seeds; then the score
    with every task at its best, and the best score one run reached.

    Raises:
        ValueError: a task no run of ``runs`` was scored on.
    """
    rows, best = [], {}
    for task, metric in METRIC_OF.items():
        scored = {label: r["metrics"][metric] for label, r in runs.items()
                  if metric in r["metrics"]}
        if not scored:
            raise ValueError(f"no stored run was scored on {task}")
        label = max(scored, key=scored.get)
        best[metric] = scored[label]
        rows.append(_row(task, metric, scored[label], label, model))
    rows.append(_row("score", "score", composite(best), EVERY_TASK_AT_ITS_BEST, model))
    multitask = {label: r["metrics"]["score"] for label, r in runs.items()
                 if all(m in r["metrics"] for m in METRIC_OF.values())}
    if multitask:
        label = max(multitask, key=multitask.get)
        rows.append(_row("score", "score", multitask[label], label, model))
    return pd.DataFrame(rows)


def _row(task: str, metric: str, value: float, label: str, model: Sequence[dict]) -> dict:
    mean = sum(r["metrics"][metric] for r in model) / len(model) if model else None
    return {"task": task, "metric": metric, "best reached": round(value, 4), "by": label,
            "model (mean over seeds)": None if mean is None else round(mean, 4),
            "best minus model": None if mean is None else round(value - mean, 4)}
