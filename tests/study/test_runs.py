from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

import minbert_lab.study.runs as runs
from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.study.runs import best_label, dropout_table, load_rows, run_table
from minbert_lab.study.settings import StudySettings


def _study(tmp_path: Path, seeds=(0,)) -> StudySettings:
    return StudySettings("smoke", DEFAULT_CHECKPOINT, tuple(seeds), tmp_path / "data",
                         tmp_path / "runs", tmp_path / "figures", progress=False)


def _fake_grid(name, *, profile, seed, checkpoint, data_dir, runs_dir, progress,
               stored_only=False):
    frame = pd.DataFrame({"label": ["a", "b"], "ours_sst_acc": [0.1 + seed, 0.2 + seed],
                          "paper_sst_acc": [0.5, 0.6], "epoch": [1, 1],
                          "train_seconds": [1.0, 2.0], "cached": [True, seed == 0]})
    not_run = []
    if stored_only and seed == 2:  # row b's seed 2 is not stored
        frame.loc[1, ["ours_sst_acc", "epoch", "train_seconds"]] = None
        not_run = ["b"]
    frame.attrs = {"table": name, "profile": profile, "checkpoint": checkpoint,
                   "data": "split", "note": "note", "not_run": not_run}
    return frame


def test_one_seed_is_run_grid_itself(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "run_grid", _fake_grid)
    frame = run_table(_study(tmp_path), "1")
    assert frame["ours_sst_acc"].tolist() == [0.1, 0.2]
    assert frame.attrs["seeds"] == [0] and frame.attrs["table"] == "1"


def test_several_seeds_are_averaged_with_their_spread(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "run_grid", _fake_grid)
    frame = run_table(_study(tmp_path, seeds=(0, 2)), "1")
    assert frame["ours_sst_acc"].tolist() == pytest.approx([1.1, 1.2])
    assert frame["ours_sst_acc_std"].tolist() == pytest.approx([1.4142, 1.4142], abs=1e-4)
    assert frame["paper_sst_acc"].tolist() == [0.5, 0.6]
    assert frame["train_seconds"].tolist() == [2.0, 4.0]
    assert frame["cached"].tolist() == [True, False]
    assert frame["seeds"].tolist() == [2, 2]
    assert "mean over up to 2 seeds" in frame.attrs["note"]


def test_a_study_that_only_loads_averages_the_seeds_it_has_and_names_the_rest(
        tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "run_grid", _fake_grid)
    monkeypatch.setattr(runs, "train_hint", lambda study, missing: "the command that trains")
    monkeypatch.setattr(runs.RunStore, "missing", lambda self, configs: {})
    study = dataclasses.replace(_study(tmp_path, seeds=(0, 2)), train=False)
    frame = run_table(study, "1")
    assert frame["ours_sst_acc"].tolist() == pytest.approx([1.1, 0.2])  # b: seed 0 alone
    assert frame["seeds"].tolist() == [2, 1]
    assert frame["ours_sst_acc_low"].isna().tolist() == [False, True]  # one seed: no interval
    assert frame.attrs["not_run"] == ["b (seed 2)"]
    assert frame.attrs["train_hint"] == "the command that trains"


def test_dropout_table_is_task_by_dropout():
    frame = pd.DataFrame({
        "label": [f"{t} dropout {p}" for t in ("sst", "sts") for p in (0.1, 0.3, 0.5)],
        "ours_sst_acc": [0.5, 0.4, 0.3, None, None, None],
        "ours_sts_pearson": [None, None, None, 0.2, 0.6, 0.1],
    })
    frame.attrs = {"table": "dropout", "profile": "smoke"}
    table = dropout_table(frame)
    assert table["task"].tolist() == ["SST-5 sentiment", "STS-B similarity"]
    assert table["best dropout"].tolist() == [0.1, 0.3]
    assert table.loc[1, "dropout 0.3"] == 0.6
    assert table.attrs["table"] == "dropout"


def test_best_label_and_unknown_rows(tmp_path):
    frame = pd.DataFrame({"label": ["a", "b"], "ours_score": [0.4, 0.6]})
    assert best_label(frame) == "b"
    with pytest.raises(ValueError, match="no column"):
        best_label(frame, "sst_acc")
    with pytest.raises(ValueError, match="not rows of table 4"):
        load_rows(_study(tmp_path), "4", ["No such row"])


def test_grid_results_are_the_grid_over_the_studys_seeds(tmp_path, monkeypatch):
    def run_seeds(configs, seeds, **kwargs):
        return {label: [{"seed": s, "config": c} for s in seeds] for label, c in configs.items()}

    monkeypatch.setattr(runs, "run_seeds", run_seeds)
    results = runs.grid_results(_study(tmp_path, seeds=(0, 2)), "1")
    assert list(results) == ["cross entropy loss", "cross entropy loss + SMART (lambda=3)",
                             "cross entropy loss + L2"]
    assert [r["seed"] for r in results["cross entropy loss"]] == [0, 2]
