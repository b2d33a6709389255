from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from minbert_lab.experiments.grids import GRIDS, grid_rows, table4, table4_base_tasks


def test_grids_have_the_papers_rows() -> None:
    sizes = {name: len(grid_rows(name, "smoke")) for name in GRIDS}
    assert sizes == {"1": 3, "2": 7, "3": 4, "4": 7, "dropout": 9}
    table4 = grid_rows("4", "smoke")
    assert table4[0].config.ordering.name == "sequential"
    assert table4[-1].config.shared_trunk is True
    assert table4[-1].paper["score"] == 0.747
    assert all(row.config.multitask for row in table4)


def test_table4_starts_from_the_best_single_task_setups() -> None:
    rows = {row.label: row.config for row in table4("smoke")}
    assert rows["Shuffled batches + SST reg'd"].tasks == table4_base_tasks()
    assert table4_base_tasks()["sst"].regularizer == "smart"
    table4_base_tasks()["sst"] = None  # a fresh dict each time: nothing to corrupt
    assert table4_base_tasks()["sst"] is not None


@pytest.mark.slow
def test_cli_prints_table4_smoke_with_paper_columns(data_dir: Path, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "minbert_lab", "--data-dir", str(data_dir), "table", "4",
         "--profile", "smoke", "--runs-dir", str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=900,
    ).stdout
    assert "paper_score" in out and "ours_score" in out
    assert "Shuffled + SST unreg'd + shared linear" in out and "0.747" in out
    assert "smoke profile" in out and "carved from quora-dev.csv" in out
