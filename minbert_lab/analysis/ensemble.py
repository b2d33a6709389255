"""An ensemble of stored runs, from their dev predictions alone: no retraining.

As CS224N leaderboard entries do, the members' outputs are averaged per dev example: SST's
class probabilities (then the most likely class), Quora's probability of a paraphrase (the
BCE pair score through the sigmoid; then > 0.5), STS's predicted rating. The result is shaped
like a run's (``metrics``, ``predictions``), so tables and the verdict test take it as one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from minbert_lab.metrics import METRIC_OF, composite, task_metric


def ensemble(results: Sequence[dict]) -> dict:
    """The average of ``results`` (runs evaluated on the same dev examples).

    Raises:
        ValueError: no runs, runs on different dev examples, or an SST run stored without its
            class probabilities (trained before they were kept), or a Quora run whose pair
            score is not a BCE logit.
    """
    if not results:
        raise ValueError("give at least one run to ensemble")
    tasks = [t for t in METRIC_OF if all(t in r["predictions"] for r in results)]
    metrics, predictions = {}, {}
    for task in tasks:
        stored = [r["predictions"][task] for r in results]
        ids = [str(i) for i in stored[0]["ids"]]
        if any([str(i) for i in s["ids"]] != ids for s in stored[1:]):
            raise ValueError(f"the runs were evaluated on different {task} dev examples")
        labels = np.asarray(stored[0]["labels"], float)
        mean, pred = _average(task, stored, results)
        metrics[METRIC_OF[task]] = task_metric(task, pred, labels)
        predictions[task] = {"ids": stored[0]["ids"], "labels": stored[0]["labels"],
                             "predictions": pred.tolist(), "scores": mean.tolist()}
    metrics["score"] = composite(metrics)
    return {"metrics": metrics, "predictions": predictions,
            "timings": {"train_seconds": sum(r["timings"]["train_seconds"] for r in results)},
            "members": [r["config"]["seed"] for r in results if "seed" in r.get("config", {})]}


def _average(task: str, stored: list[dict], results: Sequence[dict]
             ) -> tuple[np.ndarray, np.ndarray]:
    """The members' mean output per example, and the prediction it makes."""
    if task == "sst":
        if any("probabilities" not in s for s in stored):
            raise ValueError("an SST run has no stored class probabilities (it was trained "
                             "before they were kept): `python -m minbert_lab reproduce "
                             "<plan or key> --replace` trains it again and adds them")
        probabilities = np.mean([np.asarray(s["probabilities"], float) for s in stored], axis=0)
        return probabilities.max(-1), probabilities.argmax(-1).astype(float)
    if task == "para":
        losses = {r["config"]["tasks"]["para"]["loss"] for r in results if "config" in r}
        if losses - {"bce"}:
            raise ValueError(f"a Quora run's pair score is not a BCE logit (losses {losses}); "
                             "only BCE-trained runs average as probabilities")
        probability = np.mean([1 / (1 + np.exp(-np.asarray(s["scores"], float)))
                               for s in stored], axis=0)
        return probability, (probability > 0.5).astype(float)
    rating = np.mean([np.asarray(s["predictions"], float) for s in stored], axis=0)
    return rating, rating
