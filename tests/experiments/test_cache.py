from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from smoke_configs import SST_SMOKE

from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.store import RunStore

CONFIG = SST_SMOKE


def test_second_call_loads_without_training(data_dir: Path, tmp_path: Path,
                                            forbid_training: Callable[[], None]) -> None:
    first = run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False)
    assert first["cached"] is False

    forbid_training()
    second = run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False)
    assert second["cached"] is True
    assert second["metrics"] == first["metrics"]


def test_damaged_result_is_recomputed_with_a_warning(data_dir: Path, tmp_path: Path) -> None:
    run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False)
    path = RunStore(data_dir, tmp_path).path(CONFIG)
    stored = json.loads(path.read_text())
    stored["result"]["metrics"]["sst_acc"] = 0.99  # an edit the checksum must catch
    path.write_text(json.dumps(stored))
    with pytest.warns(UserWarning, match="damaged"):
        again = run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False)
    assert again["cached"] is False and again["metrics"]["sst_acc"] != 0.99
    path.write_text(path.read_text()[:100])  # truncated
    with pytest.warns(UserWarning, match="damaged"):
        assert run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path,
                           progress=False)["cached"] is False


def test_key_depends_on_config_and_data(data_dir: Path, tmp_path: Path) -> None:
    other = dataclasses.replace(CONFIG, dropout=0.3)
    assert RunStore(data_dir).path(CONFIG) != RunStore(data_dir).path(other)
