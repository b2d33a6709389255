"""Prepared splits (``data/splits.py``): the manifest, the split note, fixed subsets."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from minbert_lab.data.splits import (
    DataNotPreparedError,
    load_manifest,
    load_split,
    split_note,
    subset,
)


def test_unprepared_data_says_how_to_prepare_it(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("MAKELEVEL", raising=False)  # typed at a prompt
    with pytest.raises(DataNotPreparedError, match="data prepare --source") as raised:
        load_manifest(tmp_path)
    assert isinstance(raised.value, FileNotFoundError)
    monkeypatch.setenv("MAKELEVEL", "1")  # run by make: the make target and variable
    with pytest.raises(DataNotPreparedError, match="make data DATA_SOURCE="):
        load_manifest(tmp_path)


def test_the_split_note_names_the_carve_and_its_sizes():
    carved = {"quora_split": "carved-from-dev",
              "splits": {"para-train": {"rows": 16_109}, "para-dev": {"rows": 4_103}}}
    note = split_note(carved)
    assert "quora-dev.csv" in note and "16,109" in note and "4,103" in note
    assert "carved" not in split_note({"quora_split": "official"})


def test_a_split_holds_sentences_tokens_and_labels_row_for_row(data_dir: Path):
    sst = load_split("sst", "dev", data_dir=data_dir, limit=8)
    sts = load_split("sts", "dev", data_dir=data_dir, limit=8)
    assert len(sst) == len(sst.a) == len(sst.labels) == 8 and sst.b is None
    assert sst.labels.dtype == torch.int64 and sts.labels.dtype == torch.float32
    assert len(sts.b) == 8
    assert sts.labels.tolist() == pytest.approx(sts.frame["label"].tolist())


def test_a_limit_is_the_same_subset_every_time(data_dir: Path):
    whole = load_split("para", "dev", data_dir=data_dir)
    first = load_split("para", "dev", data_dir=data_dir, limit=10)
    again = load_split("para", "dev", data_dir=data_dir, limit=10)
    assert first.frame["id"].tolist() == again.frame["id"].tolist()
    assert set(first.frame["id"]) <= set(whole.frame["id"])
    assert first.frame["id"].tolist() != whole.frame["id"].tolist()[:10]  # drawn, not the head


def test_subset_keeps_each_rows_tokens_and_label_together(data_dir: Path):
    data = load_split("sts", "dev", data_dir=data_dir, limit=6)
    part = subset(data, torch.tensor([4, 1]))
    assert part.frame["id"].tolist() == [data.frame["id"][4], data.frame["id"][1]]
    assert torch.equal(part.a[0], data.a[4]) and torch.equal(part.b[1], data.b[1])
    assert part.labels.tolist() == [data.labels[4].item(), data.labels[1].item()]
