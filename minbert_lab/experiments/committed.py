"""Committed results: a finished run, small enough for git, so a result outlives its machine.

A run of the ``all-data`` or ``full`` profile takes tens of minutes to hours, and ``runs/`` (the
local cache, with per-step detail at full precision) is not in git. So when such a run is
stored, a slim copy also goes to ``results/<profile>/<key>.json`` (the same key and checksummed
envelope as the cache), to be committed. ``run_or_load`` reads it before anything else: on a
fresh clone the tables and figures regenerate from these files in seconds, and a grid stopped
on one machine continues on another from what was committed.

What a committed result keeps: config, metrics, per-epoch dev metrics, per-step training
losses (4 decimals, one column per field), the conflict probe's records, the best epoch's dev
predictions (ids, labels, predictions, and a confidence to 4 decimals), timings, environment
(with the git commit of the code) and data notes. No weights. A multitask all-data result is
about 0.3 MB.

Every reader of a committed profile gets the slim form, whether it was just trained, read from
``runs/`` or from ``results/``, so a figure is the same wherever it was drawn.
"""

from __future__ import annotations

import os
from pathlib import Path

from minbert_lab.config import NUM_CLASSES

# The checkout's results/ folder; MINBERT_RESULTS_DIR points elsewhere (e.g. a worktree that
# trains while another commits).
RESULTS_DIR = Path(os.environ.get("MINBERT_RESULTS_DIR")
                   or Path(__file__).resolve().parents[2] / "results")
COMMITTED_PROFILES = ("all-data", "full")
DECIMALS = 4
_STEP_FIELDS = ("step", "epoch", "task", "loss")


def slim(result: dict) -> dict:
    """The committed form of a result: rounded, per-step history in columns (see above)."""
    out = {k: v for k, v in result.items() if k not in ("cached", "source")}
    history = dict(result["history"])
    history["steps"] = _columns(history["steps"])
    out["history"] = history
    out["predictions"] = {task: _rounded_predictions(task, p)
                          for task, p in (result["predictions"] or {}).items()}
    if "train_outputs" in result:
        out["train_outputs"] = {task: {**o, "outputs": _rounded(o["outputs"])}
                                for task, o in result["train_outputs"].items()}
    return out


def expand(committed: dict) -> dict:
    """A committed result in the shape ``train`` returns (per-step history as records)."""
    out = dict(committed)
    history = dict(committed["history"])
    history["steps"] = _records(history["steps"])
    out["history"] = history
    return out


def as_committed(result: dict) -> dict:
    """What every reader of a committed profile sees: ``expand(slim(result))``."""
    return expand(slim(result))


def _columns(steps: list[dict]) -> dict[str, list]:
    extra = sorted({k for s in steps for k in s} - set(_STEP_FIELDS))
    columns = {f: [s.get(f) for s in steps] for f in (*_STEP_FIELDS, *extra)}
    columns["loss"] = [round(v, DECIMALS) for v in columns["loss"]]
    return columns


def _records(columns: dict[str, list] | list[dict]) -> list[dict]:
    if isinstance(columns, list):  # already records
        return columns
    fields = list(columns)
    n = len(columns["step"])
    return [{f: columns[f][i] for f in fields if columns[f][i] is not None} for i in range(n)]


def _rounded_predictions(task: str, p: dict) -> dict:
    predictions = ([int(v) for v in p["predictions"]] if task in NUM_CLASSES
                   else [round(float(v), DECIMALS) for v in p["predictions"]])
    rounded = {"ids": p["ids"], "labels": p["labels"], "predictions": predictions,
               "scores": [round(float(v), DECIMALS) for v in p["scores"]]}
    if "probabilities" in p:
        rounded["probabilities"] = _rounded(p["probabilities"])
    return rounded


def _rounded(values: list) -> list:
    """Floats (or lists of floats, one per example) to ``DECIMALS``."""
    return [[round(float(x), DECIMALS) for x in v] if isinstance(v, list)
            else round(float(v), DECIMALS) for v in values]
