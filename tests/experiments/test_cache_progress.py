"""run_or_load's progress lines on stderr: one when a labelled run starts and one when it ends
(trained, in how long; or loaded), a load announced once per process, nothing without a label;
and save_model's rule: a stored result has no weights, so it trains again unless the folder
holds this run's model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from facts import says
from smoke_configs import SST_SMOKE

import minbert_lab.experiments.cache as cache
import minbert_lab.training.loop as loop
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.store import RunStore

CONFIG = SST_SMOKE


@pytest.fixture
def fake_training(monkeypatch):
    """``loop.train`` replaced by an instant record (and, when asked, a saved model's run.json);
    ``run_or_load`` stores it as it stores a real one."""
    trained = []

    def train(config, *, model_dir=None, model_key=None, **kwargs):
        trained.append(model_dir)
        if model_dir is not None:
            Path(model_dir).mkdir(parents=True, exist_ok=True)
            (Path(model_dir) / "run.json").write_text(f'{{"key": "{model_key}"}}')
        return {"metrics": {"sst_acc": 0.5, "score": 0.5, "epoch": 0}}

    monkeypatch.setattr(loop, "train", train)
    # Each test starts with no run announced, as a fresh process does (they share one cache
    # key). The set is private, and no public seam resets it: the one private patch left.
    monkeypatch.setattr(cache, "_ANNOUNCED", set())
    return trained


def _lines(capsys) -> list[str]:
    return capsys.readouterr().err.splitlines()


def test_a_labelled_run_says_when_it_starts_and_ends(data_dir, tmp_path, fake_training, capsys):
    label = "table 1 run 1/3 (CE)"
    run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path, label=label)
    started, ended = _lines(capsys)  # one line each, and nothing else
    assert started.startswith(f"{label}: ") and ended.startswith(f"{label}: ")
    says(started, "training", "smoke", "1 epoch")
    says(ended, "trained", " s", "0.500")  # how long, and the dev score
    assert re.search(r"\d s\b", ended)

    run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path, label="again")
    assert capsys.readouterr().err == ""  # this process already announced the run
    cache._ANNOUNCED.clear()
    run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path, label=label)
    (loaded,) = _lines(capsys)
    assert loaded.startswith(f"{label}: ") and "loaded" in loaded


def test_no_label_no_lines(data_dir, tmp_path, fake_training, capsys):
    run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path)
    run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path)
    assert capsys.readouterr().err == "" and len(fake_training) == 1
    run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path, label="now")  # not announced yet
    (loaded,) = _lines(capsys)
    assert loaded.startswith("now: ") and "loaded" in loaded


def test_save_model_trains_a_stored_run_again_once(data_dir, tmp_path, fake_training, capsys):
    run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path / "runs")
    folder = tmp_path / "model"
    first = run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path / "runs", label="best",
                        save_model=folder)
    err = capsys.readouterr().err
    assert first["cached"] is False and fake_training == [None, folder]
    says(err, "best: ", "no weights", "training again", str(folder))  # why it trains, where to
    says(err, "best: ", "trained", "saved", str(folder))

    second = run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path / "runs", save_model=folder)
    assert second["cached"] is True and len(fake_training) == 2  # the folder holds it now
    key = RunStore(data_dir, tmp_path / "runs").path(CONFIG).stem
    (folder / "run.json").write_text('{"key": "another run"}')
    run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path / "runs", save_model=folder)
    assert len(fake_training) == 3 and key in (folder / "run.json").read_text()
