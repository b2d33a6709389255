"""Synthetic stored results (the shape ``run_or_load`` returns), for tests of plots, analysis
and widgets that must not train. Importable from any test: ``from fake_runs import ...``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.metrics import METRIC_OF

MULTITASK = {"sst": TaskConfig("linear", "ce"), "para": TaskConfig("CE", "bce"),
             "sts": TaskConfig("CE", "mse")}


def fake_result(tasks: dict[str, TaskConfig] | None = None, *, ordering: str = "shuffled",
                epochs: int = 2, batches: int = 6, seed: int = 0) -> dict:
    """A result dict with a plausible history and the dev predictions of ``dev_frames()``."""
    tasks = tasks or MULTITASK
    config = RunConfig(tasks=tasks, profile="smoke", ordering=ordering, epochs=epochs,
                       seed=seed).resolved()
    rng = np.random.default_rng(seed)
    steps, step = [], 0
    for epoch in range(epochs):
        order = [t for t in tasks for _ in range(batches)]
        if ordering != "sequential":
            rng.shuffle(order)
        for task in order:
            steps.append({"step": step, "epoch": epoch, "task": task,
                          "loss": float(2.0 / (1 + step / 10) + rng.random() * 0.1)})
            step += 1
    history_epochs = []
    for epoch in range(epochs):
        metrics = {METRIC_OF[t]: 0.4 + 0.1 * epoch for t in tasks}
        metrics["score"] = 0.5 + 0.05 * epoch
        history_epochs.append({"epoch": epoch, **metrics})
    predictions = {t: PREDICTIONS[t] for t in tasks}
    return {
        "config": config.to_dict(),
        "metrics": {**history_epochs[-1], "epoch": epochs - 1},
        "history": {"steps": steps, "epochs": history_epochs},
        "predictions": predictions,
        "timings": {"train_seconds": 1.0, "eval_seconds": 0.1, "train_examples_per_second": 1.0},
        "cached": False,
    }


# SST: true 0..4, twice each; the model predicts only 1 and 3.
_SST = {"ids": [f"s{i}" for i in range(10)], "labels": [0, 0, 1, 1, 2, 2, 3, 3, 4, 4],
        "predictions": [1, 1, 1, 1, 1, 3, 3, 3, 3, 3],
        "scores": [0.5, 0.6, 0.7, 0.8, 0.5, 0.4, 0.9, 0.8, 0.6, 0.7]}
# Paraphrase: logits; p0-p2 true negatives, p3-p5 false positives (p4 surest), p6-p7 false
# negatives (p7 surest), p8-p9 true positives.
_PARA_LOGITS = [-3.0, -2.0, -1.0, 0.5, 4.0, 2.0, -0.2, -5.0, 3.0, 1.0]
_PARA = {"ids": [f"p{i}" for i in range(10)], "labels": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
         "predictions": [int(x > 0) for x in _PARA_LOGITS], "scores": _PARA_LOGITS}
# STS: t0 rated far too low, t5 far too high, the rest close.
_STS = {"ids": [f"t{i}" for i in range(6)], "labels": [4.0, 3.0, 2.0, 1.0, 2.5, 0.0],
        "predictions": [0.5, 2.8, 2.1, 1.2, 2.5, 2.8], "scores": [0.5, 2.8, 2.1, 1.2, 2.5, 2.8]}
PREDICTIONS = {"sst": _SST, "para": _PARA, "sts": _STS}


def with_predictions(result: dict, task: str, predictions: list) -> dict:
    """``result`` with other dev predictions for ``task`` (the same examples and labels)."""
    stored = {**result["predictions"][task], "predictions": list(predictions),
              "scores": [float(p) for p in predictions]}
    return {**result, "predictions": {**result["predictions"], task: stored}}


def dev_frames() -> dict[str, pd.DataFrame]:
    """Dev sentences for every predicted id (``id, sentence1, sentence2, label``)."""
    frames = {}
    for task, p in PREDICTIONS.items():
        frames[task] = pd.DataFrame({
            "id": p["ids"],
            "sentence1": [f"{task} first sentence {i}" for i in p["ids"]],
            "sentence2": ["" if task == "sst" else f"{task} second sentence {i}" for i in p["ids"]],
            "label": p["labels"],
        })
    return frames


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def fake_probed_result(seed: int = 0, *, shift: float = 0.0, steps: int = 4,
                       surgery: bool = False) -> dict:
    """``fake_result`` with conflict-probe records: SST pairs negative, para-sts positive, each
    drifting by ``shift`` over training; with ``surgery``, PCGrad projection counts."""
    result = fake_result(seed=seed)
    base = {"sst-para": -0.2, "sst-sts": -0.1, "para-sts": 0.4}
    groups = {"embeddings": 0.05, "layer 0": 0.0, "layer 1": -0.05}
    records = []
    for step in range(steps + 1):
        for pair, cosine in base.items():
            value = cosine + shift * step / steps + 0.01 * seed
            for group, offset in groups.items():
                records.append({"step": step, "progress": step / steps, "pair": pair,
                                "group": group, "cosine": value + offset})
            records.append({"step": step, "progress": step / steps, "pair": pair,
                            "group": "overall", "cosine": value})
    result["history"]["conflict"] = records
    if surgery:
        for k, entry in enumerate(result["history"]["steps"]):
            entry["projected"] = k % 2
    return result
