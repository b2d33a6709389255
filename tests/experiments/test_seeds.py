"""Runs over seeds: the same seed repeats a result, another seed changes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from smoke_configs import STS_SMOKE

from minbert_lab.experiments.grids import grid_configs
from minbert_lab.experiments.seeds import run_seeds, seeded_configs
from minbert_lab.experiments.store import RunStore

CONFIG = STS_SMOKE


def test_seeded_configs_vary_only_the_seed():
    planned = seeded_configs({"a": CONFIG}, [0, 3])
    assert [c.seed for c in planned["a"]] == [0, 3]
    assert planned["a"][1].tasks == CONFIG.tasks
    with pytest.raises(ValueError, match="distinct"):
        seeded_configs({"a": CONFIG}, [1, 1])
    with pytest.raises(ValueError, match="distinct"):
        seeded_configs({"a": CONFIG}, [])


def test_grid_configs_are_the_paper_rows():
    configs = grid_configs("4", profile="smoke", seed=2)
    assert len(configs) == 7 and all(c.seed == 2 for c in configs.values())
    with pytest.raises(ValueError, match="table='9'"):
        grid_configs("9", profile="smoke")


def test_the_same_seed_repeats_and_another_differs(data_dir: Path, tmp_path: Path):
    results = run_seeds({"sts": CONFIG}, [0, 1], data_dir=data_dir, runs_dir=tmp_path / "a",
                        progress=False)["sts"]
    assert [r["config"]["seed"] for r in results] == [0, 1]
    assert RunStore(data_dir, tmp_path / "a").has(CONFIG)
    again = run_seeds({"sts": CONFIG}, [0], data_dir=data_dir, runs_dir=tmp_path / "b",
                      progress=False)["sts"][0]
    assert again["cached"] is False  # trained afresh, in another cache
    assert again["metrics"] == results[0]["metrics"]
    assert again["predictions"] == results[0]["predictions"]
    assert results[1]["metrics"] != results[0]["metrics"]
