"""Reproducing a committed run: trained again, compared number for number, and an old result
gains the fields it predates only when the two agree."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from smoke_configs import SST_SMOKE

import minbert_lab.experiments.store as store
from minbert_lab.cli import PLAN_NAMES, main
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.queue import PLANS
from minbert_lab.experiments.reproduce import (
    FLOAT_NOISE,
    IDENTICAL,
    NOT_REPRODUCED,
    RECORD_FILE,
    committed_config,
    reproduce,
)
from minbert_lab.experiments.store import load_result, save_result


@pytest.fixture
def committed(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``SST_SMOKE`` trained and committed (the smoke profile treated as committed), then
    stripped of its SST class probabilities, as a result stored before they were kept.
    Returns the committed file."""
    monkeypatch.setattr(store, "COMMITTED_PROFILES", ("smoke",))
    results = tmp_path / "results"
    run_or_load(SST_SMOKE, data_dir=data_dir, runs_dir=tmp_path / "runs", results_dir=results,
                progress=False)
    path = results / "smoke" / f"{store.cache_key(SST_SMOKE, data_dir)}.json"
    old = load_result(path)
    assert "probabilities" in old["predictions"]["sst"]
    old["predictions"]["sst"].pop("probabilities")
    save_result(path, old)
    return path


def test_a_reproduced_run_gains_the_fields_it_predates(
        committed: Path, data_dir: Path, tmp_path: Path, forbid_training: Callable[[], None]):
    before = load_result(committed)
    found = reproduce(SST_SMOKE, data_dir=data_dir, runs_dir=tmp_path / "again",
                      results_dir=committed.parents[1], progress=False)
    assert found.verdict == IDENTICAL and found.predictions_differing == 0
    assert found.largest_metric_difference == 0.0 and found.largest_value_difference == 0.0
    assert found.added == ["sst probabilities"] and not found.replaced
    assert "identical;" in found.line() and "sst probabilities" in found.line()

    after = load_result(committed)
    probabilities = after["predictions"]["sst"].pop("probabilities")
    assert after == before  # nothing else changed
    assert len(probabilities) == len(before["predictions"]["sst"]["ids"])
    assert all(len(p) == 5 and abs(sum(p) - 1) < 1e-3 for p in probabilities)

    # Asked again, it compares with the reproduction it cached, training nothing.
    forbid_training()
    again = reproduce(SST_SMOKE, data_dir=data_dir, runs_dir=tmp_path / "again",
                      results_dir=committed.parents[1], progress=False)
    assert again.verdict == IDENTICAL and again.added == []
    rows = list(csv.DictReader((committed.parents[1] / RECORD_FILE).open()))
    assert [r["verdict"] for r in rows] == [IDENTICAL, IDENTICAL]
    assert rows[0]["added"] == "sst probabilities" and rows[0]["key"] == committed.stem


def test_float_noise_is_told_from_a_change_and_only_replaces_when_asked(
        committed: Path, data_dir: Path, tmp_path: Path):
    """Another CPU's arithmetic moves a metric by ~1e-7 and a stored value by a 4th-decimal
    step: within float noise, mixed into nothing unless asked to replace; more is a change."""
    def committed_as(change) -> dict:
        result = load_result(committed)
        change(result)
        save_result(committed, result)
        return result

    def nudged(result: dict) -> None:
        result["metrics"]["sst_acc"] += 1.2e-7
        result["predictions"]["sst"]["scores"][0] += 1e-4
        result["environment"]["threads"] = 1  # as if trained on one thread: it trains on one

    noisy = committed_as(nudged)
    threads = torch.get_num_threads()
    again = tmp_path / "again"
    found = reproduce(SST_SMOKE, data_dir=data_dir, runs_dir=again,
                      results_dir=committed.parents[1], progress=False)
    assert found.threads == 1 and torch.get_num_threads() == threads
    assert found.verdict == FLOAT_NOISE and found.reproduced
    assert found.predictions_differing == 1 and found.added == [] and not found.replaced
    assert load_result(committed) == noisy  # nothing mixed in

    replaced = reproduce(SST_SMOKE, data_dir=data_dir, runs_dir=again,
                         results_dir=committed.parents[1], replace=True, progress=False)
    assert replaced.replaced and "now this run" in replaced.line()
    assert "probabilities" in load_result(committed)["predictions"]["sst"]

    changed = committed_as(lambda r: r["metrics"].update(sst_acc=r["metrics"]["sst_acc"] + 1e-3))
    found = reproduce(SST_SMOKE, data_dir=data_dir, runs_dir=again,
                      results_dir=committed.parents[1], replace=True, progress=False)
    assert found.verdict == NOT_REPRODUCED and not found.reproduced and not found.replaced
    assert "NOT REPRODUCED" in found.line()
    assert load_result(committed) == changed


def test_a_committed_run_is_named_by_its_key_or_file(committed: Path, data_dir: Path):
    results, stored = committed.parents[1], SST_SMOKE.resolved()  # results store it resolved
    assert committed_config(committed.stem, "smoke", data_dir=data_dir,
                            results_dir=results) == stored
    assert committed_config(str(committed), data_dir=data_dir, results_dir=results) == stored
    with pytest.raises(FileNotFoundError, match="no committed result"):
        committed_config("0123456789abcdef0123", "smoke", data_dir=data_dir,
                         results_dir=results)
    renamed = committed.with_name("0123456789abcdef0123.json")
    renamed.write_bytes(committed.read_bytes())
    with pytest.raises(ValueError, match="filed under"):
        committed_config(str(renamed), data_dir=data_dir, results_dir=results)


def test_the_command_says_in_one_line_when_there_is_nothing_to_reproduce(
        data_dir: Path, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["python -m minbert_lab"])
    assert main(["--data-dir", str(data_dir), "reproduce", "recipe", "--profile", "smoke",
                 "--runs-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip().endswith("nothing committed to reproduce in recipe")
    assert main(["--data-dir", str(data_dir), "reproduce", "0123456789abcdef0123",
                 "--runs-dir", str(tmp_path)]) == 1
    assert "no committed result" in capsys.readouterr().err


def test_the_command_line_knows_every_queue_plan():
    assert list(PLAN_NAMES) == list(PLANS)
