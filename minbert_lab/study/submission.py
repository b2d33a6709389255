"""A study's best model as a CS224N submission: saved once, its six prediction files written once.

Notebook 03 calls :func:`write_submission` with the best multitask run. The model goes to
``<outputs>/model`` and the files to ``<outputs>/predictions`` (``<outputs>`` is
``study.outputs_dir``: ``outputs/<profile>`` under ``make study``). A stored result has no
weights, so the first call trains that run again (to the same numbers) to save it; later calls
find the model and the files already there and only read them back.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from minbert_lab.analysis.overview import read_clean
from minbert_lab.config import RunConfig
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.grids import grid_configs
from minbert_lab.metrics import METRIC_OF, task_metric
from minbert_lab.predict import output_name, predict, predictions_record, read_predictions
from minbert_lab.run_flags import run_command
from minbert_lab.study.settings import StudySettings, repo_root
from minbert_lab.training.saved_model import saved_info

# Where notebook 03 writes the submission unless told otherwise: retraining the best run to save
# its weights takes seconds to minutes here, and an hour or more in all-data and full.
SUBMISSION_BY_DEFAULT = ("smoke", "quick")


def wants_submission(study: StudySettings, asked: bool | None) -> bool:
    """Whether to write the submission: ``asked`` when given, else by the study's profile, and
    never by default in a study that only loads (it would train the best run again)."""
    if asked is not None:
        return asked
    return study.profile in SUBMISSION_BY_DEFAULT and study.train


def submission(study: StudySettings, label: str, asked: bool | None = None) -> pd.DataFrame:
    """Notebook 03's last section: the CS224N files of Table 4's row ``label`` (its first study
    seed), written when wanted (:func:`wants_submission`); otherwise a table saying why not and
    the two commands that write them."""
    config = grid_configs("4", profile=study.profile, seed=study.seeds[0],
                          checkpoint=study.checkpoint)[label]
    if wants_submission(study, asked):
        return write_submission(study, config, label=f"best of table 4 ({label})")
    model_dir, out = submission_dirs(study)
    steps = [run_command(config, save_model=str(model_dir)),
             f"python -m minbert_lab predict --model {model_dir} --out {out}"]
    frame = pd.DataFrame({"step": ["1. train it again, saving the model", "2. write the files"],
                          "command": steps})
    frame.attrs["caption"] = (
        f"Not written in the {study.profile} profile: a stored result holds no weights, so "
        f"saving this model means training it again ({label}, seed {config.seed}), which the "
        f"{study.profile} study does not do by default. The two commands above do it (the "
        "first trains to the same numbers); in this notebook, set SUBMISSION = True.")
    return frame


def submission_dirs(study: StudySettings) -> tuple[Path, Path]:
    """Where the model and the files go: ``<outputs>/model`` and ``<outputs>/predictions``."""
    outputs = study.outputs_dir or repo_root() / "outputs" / study.profile
    return outputs / "model", outputs / "predictions"


def write_submission(study: StudySettings, config: RunConfig, *, label: str) -> pd.DataFrame:
    """Saves ``config``'s model and writes its prediction files, each unless already done;
    ``label`` names the run in the progress lines.

    Returns:
        :func:`submission_table` of the files.
    """
    model_dir, out = submission_dirs(study)
    result = run_or_load(config, data_dir=study.data_dir, runs_dir=study.runs_dir,
                         progress=study.progress, label=label, save_model=model_dir)
    record = predictions_record(out)
    if record is None or record.get("key") != saved_info(model_dir)["key"]:
        predict(model_dir, out, data_dir=study.data_dir,
                log=lambda line: print(f"{label}: {line}", file=sys.stderr, flush=True))
    return submission_table(out, result, study.data_dir)


def submission_table(out: Path, result: dict, data_dir: Path | str) -> pd.DataFrame:
    """One row per file: rows written (or why it was skipped) and, for a dev file, its metric
    recomputed from the file beside the run's stored one."""
    record = predictions_record(out) or {"rows": {}, "skipped": {}}
    tasks = list(result["config"]["tasks"])
    rows = []
    for split in ("dev", "test"):
        for task in tasks:
            name = output_name(task, split)
            row = {"file": name, "rows": record["rows"].get(name, ""),
                   "metric": METRIC_OF[task] if split == "dev" else "",
                   "from the file": "", "the run's": "",
                   "note": record["skipped"].get(name, "")}
            if split == "dev" and name in record["rows"]:
                row["from the file"] = round(dev_metric(out / name, task, data_dir), 6)
                row["the run's"] = round(result["metrics"][METRIC_OF[task]], 6)
            rows.append(row)
    frame = pd.DataFrame(rows, dtype=object)
    frame.attrs["caption"] = (f"Prediction files in CS224N's format, in {out}; dev metrics "
                              "recomputed from the files")
    return frame


def dev_metric(path: Path, task: str, data_dir: Path | str) -> float:
    """``task``'s dev metric of a prediction file, against the prepared dev labels."""
    found = read_predictions(path)
    labels = read_clean(task, "dev", data_dir).set_index("id")["label"]
    truth = labels.loc[found["id"]].to_numpy(np.float32 if task == "sts" else np.int64)
    values = found["value"].to_numpy(np.float32)
    return task_metric(task, values, truth)
