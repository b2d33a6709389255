"""The result a run returns and the cache stores: plain JSON, everything a table, a figure or
an error analysis needs, and what produced it."""

from __future__ import annotations

import platform
from pathlib import Path

import torch

import minbert_lab
from minbert_lab.data.collate import count_truncated
from minbert_lab.data.splits import load_manifest, split_note
from minbert_lab.training.resume import RunProgress
from minbert_lab.training.trainee import Trainee


def result_record(trainee: Trainee, run: RunProgress, *, data_dir: Path | str,
                  device: torch.device, conflict: list[dict] | None = None,
                  train_outputs: dict | None = None) -> dict:
    """The finished run as a JSON-ready dict.

    Keys: ``config``, ``metrics`` (the best epoch by dev composite), ``history`` (per-step
    training loss per task; per-epoch dev metrics; the conflict probe's records when it ran),
    ``predictions`` (the best epoch's dev predictions), ``timings``, ``model``,
    ``environment`` (library, git commit, torch, device, threads, the CPU that finished the
    run), ``data`` (split, sizes, truncated examples) and ``resumed_at_steps`` (empty for a run
    trained in one go); with ``config.train_outputs``, ``train_outputs`` (the final model's
    outputs on the training set, ``training.evaluation.train_outputs``).
    """
    config = trainee.config
    manifest = load_manifest(data_dir)
    history = {"steps": run.steps, "epochs": run.epochs}
    if conflict is not None:
        history["conflict"] = conflict
    record = {
        "config": config.to_dict(),
        "metrics": run.best,
        "history": history,
        "predictions": run.best_predictions,
        "timings": {
            "train_seconds": run.train_seconds,
            "train_cpu_seconds": run.train_cpu_seconds,
            "eval_seconds": run.eval_seconds,
            "train_examples_per_second": (run.examples / run.train_seconds
                                          if run.train_seconds else None),
        },
        "model": {"parameters": sum(p.numel() for p in trainee.model.parameters())},
        "environment": {
            "minbert_lab": minbert_lab.__version__,
            "code_version": minbert_lab.code_version(),
            "torch": torch.__version__,
            "device": str(device),
            "threads": torch.get_num_threads(),
            "cpu": minbert_lab.cpu_model(),
            "python": platform.python_version(),
        },
        "data": {
            "quora_split": manifest["quora_split"],
            "split_note": split_note(manifest),
            "train_examples": {t: len(d) for t, d in trainee.train.items()},
            "dev_examples": {t: len(d) for t, d in trainee.dev.items()},
            "truncated_train_examples": {
                t: count_truncated(d, trainee.forms[t], config.max_length)
                for t, d in trainee.train.items()},
        },
        "resumed_at_steps": run.resumed_at_steps,
    }
    if train_outputs is not None:
        record["train_outputs"] = train_outputs
    return record

