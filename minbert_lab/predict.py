"""``python -m minbert_lab predict``: a saved model's predictions in CS224N's submission format.

Writes the six files the starter's ``test_model_multitask`` writes (``evaluation.py`` of
``gpoesia/minbert-default-final-project`` at the pinned commit 7ac8260), in its exact format:
a header ``id \\t Predicted_Sentiment `` (``Predicted_Is_Paraphrase``, ``Predicted_Similiary``:
the starter's spelling), then one ``id , value `` line per example, the value printed as numpy
prints the starter's arrays (an int64 class; float32 ``0.0``/``1.0``; a float32 score).

- **dev** files: the examples the run was scored on (the profile's fixed dev subset, or every
  dev example with ``all_dev``), so the metrics recomputed from them are the run's. Our Quora dev
  set is the carved fifth of ``quora-dev.csv`` when ``quora-train.csv`` is absent.
- **test** files: every row of ``ids-sst-test-student.csv``, ``quora-test-student.csv`` and
  ``sts-test-student.csv``, fetched from the data source ``data prepare`` used (or
  ``test_source``) into ``<data_dir>/raw`` and checked against the pinned commit. A test file
  the source lacks (the offline mirror has no ``quora-test-student.csv``) is skipped, and the
  log says so.

Example:
    >>> written = predict("models/best", "predictions", data_dir="data")
    >>> written["sst-dev-output.csv"]
    PosixPath('predictions/sst-dev-output.csv')
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from minbert_lab.config import NUM_CLASSES
from minbert_lab.data.batch import CPU
from minbert_lab.data.sources import DataSourceError, fetch
from minbert_lab.data.splits import DATA_DIR, TaskSplit, load_manifest, load_split
from minbert_lab.data.tokenized import cached_tokenize
from minbert_lab.files import atomic_write
from minbert_lab.losses import make_loss
from minbert_lab.profiles import PROFILES
from minbert_lab.training.evaluation import evaluate
from minbert_lab.training.saved_model import load_model
from minbert_lab.training.trainee import Trainee

RECORD_FILE = "predictions.json"  # what predict() wrote, beside the files
# The starter's file names, headers and test inputs, per task.
OUTPUT_NAMES = {"sst": "sst", "para": "para", "sts": "sts"}
HEADERS = {"sst": "Predicted_Sentiment", "para": "Predicted_Is_Paraphrase",
           "sts": "Predicted_Similiary"}  # sic: evaluation.py at 7ac8260, lines 296 and 301
TEST_FILES = {"sst": "ids-sst-test-student.csv", "para": "quora-test-student.csv",
              "sts": "sts-test-student.csv"}
SENTENCE_COLUMNS = {"sst": ("sentence",), "para": ("sentence1", "sentence2"),
                    "sts": ("sentence1", "sentence2")}
# Git blob ids of the test files at the pinned commit (`git ls-tree 7ac8260 data/`): the only
# pin available for quora-test-student.csv, which no offline mirror holds.
TEST_BLOB_SHA1 = {
    "ids-sst-test-student.csv": "bbd2313758825f86e24416d6aad64cd93370cf7a",
    "quora-test-student.csv": "f257ef00558555afb50819578a58205732b16354",
    "sts-test-student.csv": "25f0cf8fafdd1f82b9e2bb460c708af34341ce60",
}


def output_name(task: str, split: str) -> str:
    """``sst-dev-output.csv`` and the like: the starter's default ``--*_out`` paths."""
    return f"{OUTPUT_NAMES[task]}-{split}-output.csv"


def predict(model_dir: Path | str, out_dir: Path | str = "predictions", *,
            data_dir: Path | str = DATA_DIR, test_source: str | None = None,
            all_dev: bool = False, device: str = "cpu",
            log: Callable[[str], None] = print) -> dict[str, Path | None]:
    """Writes the dev and test prediction files of a model saved by ``run --save-model``.

    Args:
        test_source: where the test CSVs are (a folder or URL); default: the source
            ``data prepare`` recorded in the manifest.
        all_dev: predict every dev example, not only the profile's subset the run was scored on.

    Returns:
        file name -> its path, or ``None`` for a file that was skipped. ``predictions.json``
        beside the files records the model, the rows written and why a file was skipped.
    """
    log(f"loading the model saved in {model_dir}...")
    saved = load_model(model_dir, device)
    config, out = saved.config.resolved(), Path(out_dir)
    # The saved folder carries the run's tokenizer files, so its token ids (and token cache
    # entries) are the run's.
    checkpoint = str(saved.folder)
    limit = None if all_dev else PROFILES[config.profile].dev_examples
    dev = {t: load_split(t, "dev", checkpoint=checkpoint, limit=limit, data_dir=data_dir)
           for t in config.tasks}
    source = test_source or load_manifest(data_dir)["source"]
    test, reasons = {}, {}
    for task in config.tasks:
        try:
            test[task] = read_test_split(task, source, data_dir, checkpoint)
        except FileNotFoundError as err:
            reasons[output_name(task, "test")] = str(err)
            log(f"{output_name(task, 'test')}: skipped, {err}")
    (out / RECORD_FILE).unlink(missing_ok=True)  # written again once every file is
    written: dict[str, Path | None] = {}
    for split, splits in (("dev", dev), ("test", test)):
        if not splits:
            continue
        sizes = ", ".join(f"{task} {len(data):,}" for task, data in splits.items())
        log(f"predicting the {split} sets ({sizes} examples)...")
        _, predictions = evaluate(_predictor(saved, splits), torch.device(device))
        for task, found in predictions.items():
            path = out / output_name(task, split)
            write_predictions(path, task, found["ids"], found["predictions"])
            written[path.name] = path
            shown = f"{len(found['ids']):,} {split} predictions"
            if split == "dev":
                shown += f" ({'every example' if limit is None else 'the run scored these'})"
            log(f"{path}: {shown}")
    for name in reasons:
        (out / name).unlink(missing_ok=True)  # an older model's file must not pass for this one's
        written[name] = None
    record = {"model": str(saved.folder), "key": saved.info.get("key"), "all_dev": all_dev,
              "rows": {name: _rows(path) for name, path in written.items() if path},
              "skipped": reasons}
    atomic_write(out / RECORD_FILE, json.dumps(record, indent=2) + "\n")
    return written


def predictions_record(out_dir: Path | str) -> dict | None:
    """What :func:`predict` last wrote to ``out_dir`` (model, its key, rows per file, skipped
    files and why), or ``None``."""
    try:
        return json.loads((Path(out_dir) / RECORD_FILE).read_text())
    except (OSError, ValueError):
        return None


def _rows(path: Path) -> int:
    with open(path) as f:
        return sum(1 for _ in f) - 1  # the header


def write_predictions(path: Path, task: str, ids: list[str], values: list[float]) -> None:
    """One file in the starter's format (see the module docstring)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = np.int64 if task == "sst" else np.float32  # what the starter's numpy arrays hold
    with open(path, "w") as f:
        f.write(f"id \t {HEADERS[task]} \n")
        for p, s in zip(ids, values):
            f.write(f"{p} , {kind(s)} \n")


def read_predictions(path: Path | str) -> pd.DataFrame:
    """A prediction file read back: ``id`` and ``value`` (float32 read as written)."""
    rows = [line.rsplit(" , ", 1) for line in Path(path).read_text().splitlines()[1:]]
    return pd.DataFrame({"id": [r[0] for r in rows],
                         "value": [float(np.float32(r[1].strip())) for r in rows]})


def read_test_split(task: str, source: str, data_dir: Path | str,
                    checkpoint: str) -> TaskSplit:
    """``task``'s test rows as a ``TaskSplit`` (labels are zeros: the files have none).

    Rows are read the way the starter reads them (``csv.DictReader``, tab-separated), with the
    sentences stripped like the prepared data; a row without an id is dropped.

    Raises:
        FileNotFoundError: the source has no such file (the message says which).
        DataSourceError: the file differs from the pinned commit's.
    """
    path = fetch_test_file(TEST_FILES[task], source, data_dir)
    with open(path, newline="") as f:
        records = [r for r in csv.DictReader(f, delimiter="\t") if (r.get("id") or "").strip()]
    columns = SENTENCE_COLUMNS[task]
    frame = pd.DataFrame({
        "id": [r["id"].strip() for r in records],
        "sentence1": [(r[columns[0]] or "").strip() for r in records],
        "sentence2": [(r[columns[-1]] or "").strip() if task != "sst" else "" for r in records],
        "label": 0,
    })
    digest = TEST_BLOB_SHA1[path.name]
    cache = Path(data_dir) / "cache"
    a = cached_tokenize(frame["sentence1"].tolist(), checkpoint, digest, "test-s1", cache)
    b = (None if task == "sst" else
         cached_tokenize(frame["sentence2"].tolist(), checkpoint, digest, "test-s2", cache))
    labels = torch.zeros(len(frame), dtype=torch.int64 if task == "sst" else torch.float32,
                         device=CPU)
    return TaskSplit(task, "test", frame, a, b, labels)


def fetch_test_file(name: str, source: str, data_dir: Path | str) -> Path:
    """``<data_dir>/raw/<name>``, fetched from ``source`` first when absent and checked.

    Raises:
        FileNotFoundError: ``source`` has no ``name``.
        DataSourceError: the file is not the pinned commit's (it is deleted again).
    """
    dest = Path(data_dir) / "raw" / name
    if not dest.is_file():
        try:
            found = fetch(source, name, dest, required=False)
        except DataSourceError as err:  # unreachable URL, missing folder
            raise FileNotFoundError(f"{name} could not be read from {source}: {err}") from None
        if found is None:
            raise FileNotFoundError(f"the data source {source} has no {name}")
    if git_blob_sha1(dest) != TEST_BLOB_SHA1[name]:
        dest.unlink()
        raise DataSourceError(f"{name} from {source} is not the file of the pinned CS224N "
                              "commit (truncated or altered); it was deleted")
    return dest


def git_blob_sha1(path: Path) -> str:
    """The id git gives the file's content: sha1 of ``blob <size>\\0<content>``."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _predictor(saved, splits: dict[str, TaskSplit]) -> Trainee:
    """What ``training.evaluation.evaluate`` reads, around a saved model and some splits, so
    predictions come from exactly the code that scored the run."""
    config = saved.config.resolved()
    # predict() of a class-weighted loss ignores the weights: any counts build it.
    losses = {t: make_loss(t, tc.loss, class_counts=[1] * NUM_CLASSES.get(t, 1))
              for t, tc in config.tasks.items() if t in splits}
    return Trainee(config, saved.model, train={}, dev=splits, losses=losses, regularizers={})
