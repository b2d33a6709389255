"""Committed results: slim enough for git, read before anything else, refused when damaged."""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import minbert_lab.experiments.store as store
import minbert_lab.training.loop as loop
from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.committed import RESULTS_DIR, expand, slim
from minbert_lab.experiments.store import cache_key, load_result
from minbert_lab.experiments.tables import run_grid
from minbert_lab.study.runs import grid_results
from minbert_lab.study.settings import StudySettings, committed_figures, repo_root

CONFIG = RunConfig(tasks={"sst": TaskConfig("linear", "cross_entropy"),
                          "sts": TaskConfig("cross_encoder", "mse")}, profile="smoke")


@pytest.fixture
def committed_smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the smoke profile as committed (the real committed profiles take hours)."""
    monkeypatch.setattr(store, "COMMITTED_PROFILES", ("smoke",))


def test_slim_keeps_what_tables_and_figures_read() -> None:
    steps = [{"step": 0, "epoch": 0, "task": "sst", "loss": 1.234567},
             {"step": 0, "epoch": 0, "task": "sts", "loss": 2.0, "projected": 1}]
    result = {"config": {}, "metrics": {"score": 0.5}, "history": {"steps": steps, "epochs": []},
              "predictions": {"sst": {"ids": ["a"], "labels": [3], "predictions": [3.0],
                                      "scores": [0.123456]},
                              "sts": {"ids": ["b"], "labels": [2.5], "predictions": [2.345678],
                                      "scores": [2.345678]}}, "cached": True}
    back = expand(json.loads(json.dumps(slim(result))))
    assert back["history"]["steps"] == [{**steps[0], "loss": 1.2346}, steps[1]]
    assert back["predictions"]["sst"]["predictions"] == [3]
    assert back["predictions"]["sts"]["predictions"] == [2.3457]
    assert back["metrics"] == result["metrics"] and "cached" not in back


def test_a_committed_run_loads_on_a_fresh_clone_without_training(
        data_dir: Path, tmp_path: Path, committed_smoke: None,
        forbid_training: Callable[[], None]) -> None:
    results = tmp_path / "results"
    first = run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path / "runs",
                        results_dir=results, progress=False)
    committed = results / "smoke" / f"{cache_key(CONFIG, data_dir)}.json"
    assert first["cached"] is False and committed.is_file()
    forbid_training()
    fresh = run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path / "empty-runs",
                        results_dir=results, progress=False)
    assert fresh["cached"] is True
    assert {k: fresh[k] for k in ("metrics", "history", "predictions")} == {
        k: first[k] for k in ("metrics", "history", "predictions")}


def test_retrain_ignores_both_stores(data_dir: Path, tmp_path: Path, committed_smoke: None,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    kw = {"data_dir": data_dir, "runs_dir": tmp_path / "runs",
          "results_dir": tmp_path / "results", "progress": False}
    run_or_load(CONFIG, **kw)
    calls = []
    real = loop.train
    monkeypatch.setattr(loop, "train", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert run_or_load(CONFIG, retrain=True, **kw)["cached"] is False and calls == [1]


def test_a_damaged_committed_result_is_refused(data_dir: Path, tmp_path: Path,
                                               committed_smoke: None) -> None:
    kw = {"data_dir": data_dir, "runs_dir": tmp_path / "runs",
          "results_dir": tmp_path / "results", "progress": False}
    run_or_load(CONFIG, **kw)
    committed = tmp_path / "results" / "smoke" / f"{cache_key(CONFIG, data_dir)}.json"
    stored = json.loads(committed.read_text())
    stored["result"]["metrics"]["score"] = 0.99
    committed.write_text(json.dumps(stored))
    (tmp_path / "runs" / "smoke" / committed.name).unlink()  # nothing else to fall back on
    with pytest.warns(UserWarning, match="damaged"):
        again = run_or_load(CONFIG, **kw)
    assert again["cached"] is False and again["metrics"]["score"] != 0.99


def test_a_cached_run_of_a_committed_profile_is_committed_when_read(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        forbid_training: Callable[[], None]) -> None:
    kw = {"data_dir": data_dir, "runs_dir": tmp_path / "runs",
          "results_dir": tmp_path / "results", "progress": False}
    run_or_load(CONFIG, **kw)  # smoke is not committed: runs/ only
    assert not (tmp_path / "results").exists()
    monkeypatch.setattr(store, "COMMITTED_PROFILES", ("smoke",))
    forbid_training()
    assert run_or_load(CONFIG, **kw)["cached"] is True
    assert (tmp_path / "results" / "smoke" / f"{cache_key(CONFIG, data_dir)}.json").is_file()


RUNS = sorted(p for p in RESULTS_DIR.glob("*/*.json") if not p.name.startswith("zero-shot-"))
ZERO_SHOT = sorted(RESULTS_DIR.glob("*/zero-shot-*.json"))


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.name)
def test_every_committed_result_is_whole_and_filed_under_its_key(path: Path,
                                                                 data_dir: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a damaged file warns: fail on it
        result = load_result(path)
    config = RunConfig.from_dict(result["config"])
    assert path.parent.name == config.profile
    assert path.stem == cache_key(config, data_dir)
    assert {"metrics", "history", "predictions", "timings", "environment"} <= set(result)
    assert len(path.read_bytes()) < 1_000_000


@pytest.mark.parametrize("path", ZERO_SHOT, ids=lambda p: p.name)
def test_every_committed_zero_shot_result_is_whole(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = load_result(path)
    assert path.parent.name == result["config"]["profile"]
    assert path.name.startswith(f"zero-shot-{result['config']['zero_shot']}-")


ALL_DATA_FIGURES = committed_figures(repo_root(Path(__file__)), "all-data")


@pytest.mark.parametrize("table", ["1", "2", "3", "4"])
def test_the_committed_all_data_tables_come_from_the_committed_results(
        table: str, data_dir: Path, tmp_path: Path,
        forbid_training: Callable[[], None]) -> None:
    """What `make study` promises on a fresh clone: every seed-0 row of the all-data Tables 1-4
    loads from results/ (no runs/, no training), and each row of the committed figures/all-data
    table is the mean over as many seeds as its column ``seeds`` says, the first ones stored
    (seeds still training land in results/ before the tables are made again)."""
    forbid_training()
    study = StudySettings.from_env(profile="all-data", root=repo_root(Path(__file__)))
    study = dataclasses.replace(study, data_dir=data_dir, runs_dir=tmp_path / "runs",
                                progress=False, train=False)
    seed0 = run_grid(table, profile="all-data", data_dir=data_dir, runs_dir=tmp_path / "runs",
                     progress=False, stored_only=True)
    assert seed0.attrs["not_run"] == []
    results = grid_results(study, table)
    committed = pd.read_csv(ALL_DATA_FIGURES / f"table{table}.csv").set_index("label")
    ours = [c for c in seed0.columns if c.startswith("ours_")]
    assert ours and set(results) <= set(committed.index)
    for label, runs in results.items():
        n = int(committed.loc[label, "seeds"])
        assert 1 <= n <= len(runs), label
        for column in ours:
            metric = column.removeprefix("ours_")
            mean = sum(round(r["metrics"][metric], 4) for r in runs[:n]) / n
            # the table shows the mean of the rows' 4-place values, to 4 places
            assert abs(committed.loc[label, column] - mean) <= 5e-5 + 1e-12, (label, column)


def test_every_stored_result_of_a_profile_is_listed_once_the_committed_first(
        tmp_path: Path) -> None:
    results, runs = tmp_path / "results", tmp_path / "runs"
    store.save_result(results / "smoke" / "a.json", {"metrics": {"score": 1.0}})
    store.save_result(runs / "smoke" / "a.json", {"metrics": {"score": 0.0}})
    store.save_result(runs / "smoke" / "b.json", {"metrics": {"score": 0.5}})
    (runs / "smoke" / "c.json").write_text("{damaged")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = store.RunStore("no-data", runs, results).results("smoke")
    assert found == {"a": {"metrics": {"score": 1.0}}, "b": {"metrics": {"score": 0.5}}}
