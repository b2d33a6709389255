"""Load a prepared split as token ids, labels and the original sentences."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.data.batch import CPU
from minbert_lab.data.prepare import CARVED
from minbert_lab.data.sources import sha256_of
from minbert_lab.data.tokenized import Ragged, cached_tokenize
from minbert_lab.hints import data_source_hint, quora_split_hint

DATA_DIR = Path("data")
SUBSET_SEED = 1234  # fixed, so every config of a profile sees the same examples


class DataNotPreparedError(FileNotFoundError):
    """The prepared data (``data/manifest.json``) is missing."""


class PreparedDataChangedError(RuntimeError):
    """A prepared file no longer matches the checksum ``data prepare`` recorded for it."""


@dataclass
class TaskSplit:
    """One task's split: ids, sentences, token ids and labels (``b`` is None for SST)."""

    task: str
    split: str
    frame: pd.DataFrame  # id, sentence1, sentence2, label
    a: Ragged
    b: Ragged | None
    labels: torch.Tensor  # (n,) int64 for sst, float32 otherwise

    def __len__(self) -> int:
        return len(self.frame)


def load_manifest(data_dir: Path | str = DATA_DIR) -> dict:
    path = Path(data_dir) / "manifest.json"
    if not path.is_file():
        raise DataNotPreparedError(
            f"{path} not found: prepare the data first: {data_source_hint('URL_OR_FOLDER')} "
            "(the source defaults to the CS224N starter repository; offline, a local copy of "
            "its data/ folder)")
    return json.loads(path.read_text())


def split_note(manifest: dict) -> str:
    """One line naming the data split, for banners, tables and figures."""
    if manifest["quora_split"] == CARVED:
        rows = manifest["splits"]
        return (
            f"Quora train/dev carved from quora-dev.csv ({rows['para-train']['rows']:,} / "
            f"{rows['para-dev']['rows']:,} pairs); SST and STS official train/dev"
        )
    return "official CS224N train/dev splits"


def load_split(task: str, split: str, *, checkpoint: str = DEFAULT_CHECKPOINT,
               limit: int | None = None, data_dir: Path | str = DATA_DIR) -> TaskSplit:
    """Loads ``{task}-{split}`` from the prepared data, tokenized (cached on disk).

    Args:
        task: ``"sst"``, ``"para"`` or ``"sts"``.
        split: ``"train"`` or ``"dev"``.
        checkpoint: whose tokenizer to use.
        limit: keep a fixed random subset of this many examples (``None``: all).
    """
    manifest = load_manifest(data_dir)
    key = f"{task}-{split}"
    if key not in manifest["splits"]:
        prepared = sorted({name.split("-")[0] for name in manifest["splits"]})
        raise ValueError(f"tasks={task!r} is not valid for the data in {data_dir}: it has no"
                         f" {split} split {key!r}; choose from the prepared tasks {prepared}")
    info = manifest["splits"][key]
    path = Path(data_dir) / info["file"]
    if not path.is_file() or sha256_of(path) != info["sha256"]:
        raise PreparedDataChangedError(
            f"{path} {'is missing' if not path.is_file() else 'was changed'} since `data "
            f"prepare` wrote it (its sha256 is in {Path(data_dir) / 'manifest.json'}); rebuild "
            f"the prepared data: {data_source_hint(manifest.get('source') or 'URL_OR_FOLDER')}"
            + (" " + quora_split_hint() if manifest.get("quora_split") == CARVED else ""))
    frame = pd.read_csv(path, dtype={"id": str, "sentence1": str, "sentence2": str},
                        keep_default_na=False)
    if frame.empty:  # every row was skipped: the manifest's "skipped" counts say why
        raise ValueError(f"split {key!r} in {data_dir} has no rows; see the skipped counts in"
                         f" {Path(data_dir) / 'manifest.json'}")
    cache = Path(data_dir) / "cache"
    a = cached_tokenize(frame["sentence1"].tolist(), checkpoint, info["sha256"], "s1", cache)
    b = None
    if task != "sst":
        b = cached_tokenize(frame["sentence2"].tolist(), checkpoint, info["sha256"], "s2", cache)
    dtype = torch.int64 if task == "sst" else torch.float32
    labels = torch.tensor(frame["label"].to_numpy(), dtype=dtype, device=CPU)
    data = TaskSplit(task, split, frame, a, b, labels)
    if limit is not None and limit < len(data):
        generator = torch.Generator(device=CPU).manual_seed(SUBSET_SEED)
        index = torch.randperm(len(data), generator=generator, device=CPU)[:limit].sort().values
        data = subset(data, index)
    return data


def subset(data: TaskSplit, index: torch.Tensor) -> TaskSplit:
    return TaskSplit(
        data.task,
        data.split,
        data.frame.iloc[index.numpy()].reset_index(drop=True),
        data.a.select(index),
        data.b.select(index) if data.b is not None else None,
        data.labels[index],
    )
