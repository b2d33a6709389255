"""A paper grid laid out with the paper's numbers, and what each profile's numbers are worth."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_runs import fake_result

import minbert_lab.experiments.tables as tables
from minbert_lab.experiments.grids import grid_rows
from minbert_lab.experiments.tables import caption, profile_note, run_grid
from minbert_lab.profiles import PROFILES


@pytest.mark.parametrize("profile", list(PROFILES))
def test_profile_note_comes_from_the_profile(profile: str):
    note = profile_note(profile)
    assert PROFILES[profile].summary() in note and PROFILES[profile].description in note


def test_smoke_numbers_are_called_meaningless():
    assert "meaningless" in profile_note("smoke")


def test_unknown_grid_is_rejected():
    with pytest.raises(ValueError, match="table='5'"):
        grid_rows("5", "smoke")


def test_run_grid_puts_the_paper_beside_ours(data_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(tables, "run_or_load", lambda config, **kw: fake_result(config.tasks))
    single = run_grid("1", profile="smoke", data_dir=data_dir, runs_dir=tmp_path, progress=False)
    assert {"ours_sst_acc", "paper_sst_acc"} <= set(single.columns)
    assert "ours_score" not in single  # a single-task run's score is its one metric
    multi = run_grid("4", profile="smoke", data_dir=data_dir, runs_dir=tmp_path, progress=False)
    assert multi.loc[0, "paper_score"] == 0.503 and "ours_score" in multi
    assert profile_note("smoke") in caption(multi) and "Table 4" in caption(multi)


def test_stored_only_prints_what_is_stored_and_trains_nothing(data_dir: Path, tmp_path: Path,
                                                              monkeypatch):
    import minbert_lab.training.loop as loop
    from minbert_lab.experiments.store import RunStore, save_result

    monkeypatch.setattr(loop, "train", lambda *a, **k: pytest.fail("stored_only trained"))
    rows = grid_rows("4", "smoke")
    stored = fake_result(rows[1].config.tasks)
    save_result(RunStore(data_dir, tmp_path).path(rows[1].config), stored)
    frame = run_grid("4", profile="smoke", data_dir=data_dir, runs_dir=tmp_path,
                     progress=False, stored_only=True)
    assert frame.loc[1, "ours_score"] == round(stored["metrics"]["score"], 4)
    assert frame["ours_score"].isna().sum() == len(rows) - 1
    assert frame["paper_score"].notna().all()  # the paper's numbers stand beside every row
    assert frame.attrs["not_run"] == [row.label for i, row in enumerate(rows) if i != 1]
    assert f"not run yet: {rows[0].label}, " in caption(frame)


def test_the_caption_gives_the_table_s_training_time(data_dir: Path, tmp_path: Path,
                                                     monkeypatch):
    monkeypatch.setattr(tables, "run_or_load", lambda config, **kw: fake_result(config.tasks))
    frame = run_grid("4", profile="smoke", data_dir=data_dir, runs_dir=tmp_path, progress=False)
    assert "training: 7.0 s over 7 runs" in caption(frame)  # fake runs: 1 s each


def test_rows_appended_to_a_grid_leave_its_training_time_alone(data_dir: Path, tmp_path: Path,
                                                                 monkeypatch):
    """Table 4 with the recipe's row (a mean over seeds) still times the grid's 7 runs."""
    from minbert_lab.study.recipe_section import with_recipe

    monkeypatch.setattr(tables, "run_or_load", lambda config, **kw: fake_result(config.tasks))
    frame = run_grid("4", profile="smoke", data_dir=data_dir, runs_dir=tmp_path, progress=False)
    recipe = [fake_result(grid_rows("4", "smoke")[0].config.tasks)] * 3
    assert "training: 7.0 s over 7 runs" in caption(with_recipe(frame, recipe))
