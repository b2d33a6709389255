from __future__ import annotations

from pathlib import Path

import pytest

from minbert_lab.analysis.recipe import ablation_table, recipe_comparisons, recipe_summary
from minbert_lab.experiments.recipe import LEVERS, RECIPE
from minbert_lab.experiments.zero_shot import LABEL as ZERO_SHOT
from minbert_lab.study.recipe_section import RECIPE_SEEDS, recipe_runs, with_recipe, with_zero_shot
from minbert_lab.study.runs import run_table
from minbert_lab.study.settings import StudySettings


@pytest.fixture
def study(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StudySettings:
    monkeypatch.setenv("MINBERT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MINBERT_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("MINBERT_PROGRESS", "0")
    return StudySettings.from_env(profile="smoke", root=tmp_path)


@pytest.mark.slow
def test_the_recipe_section_runs_and_adds_its_rows(study: StudySettings,
                                                   tmp_path: Path) -> None:
    runs = recipe_runs(study)
    assert len(runs.recipe) == len(RECIPE_SEEDS)
    assert [r["config"]["seed"] for r in runs.recipe] == list(RECIPE_SEEDS)
    assert set(runs.ablations) == {f"without {lever}" for lever in LEVERS}
    summary = recipe_summary(runs.results())
    assert summary.loc[0, "label"] == RECIPE and summary.loc[0, "seeds"] == 3
    assert len(recipe_comparisons(RECIPE, runs.results(), resamples=100)) == 2 * 4
    assert len(ablation_table(runs.recipe[0], runs.ablations, resamples=100)) == len(LEVERS)
    table4 = with_recipe(run_table(study, "4"), runs.recipe)
    assert table4["label"].iloc[-1].startswith(RECIPE) and len(table4) == 8
    table3 = with_zero_shot(run_table(study, "3"), "sts", study)
    assert table3["label"].iloc[-1] == ZERO_SHOT
    assert 0 < table3["ours_sts_pearson"].iloc[-1] < 1
    assert not (Path(__file__).parents[2] / "results" / "smoke").exists()  # smoke: runs/ only
