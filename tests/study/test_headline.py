"""The study in one table: the committed headline is what the committed results give."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from minbert_lab.analysis.recipe import combined_single_task
from minbert_lab.experiments.tables import to_markdown
from minbert_lab.study import StudySettings, recipe_runs
from minbert_lab.study.headline import headline
from minbert_lab.study.settings import committed_figures, repo_root

ROOT = repo_root(Path(__file__))


def test_the_committed_headline_comes_from_the_committed_results(
        data_dir: Path, tmp_path: Path, forbid_training: Callable[[], None]) -> None:
    """What `make study` writes on a fresh clone (no runs/, no training) is the committed
    headline, to the character."""
    forbid_training()
    study = StudySettings.from_env(profile="all-data", root=ROOT)
    study = dataclasses.replace(study, data_dir=data_dir, runs_dir=tmp_path / "runs",
                                progress=False, train=False)
    section = headline(study, recipe_runs(study))
    figures = committed_figures(ROOT, "all-data")
    for name, table in section.tables:
        assert to_markdown(table) == (figures / f"{name}.md").read_text(), name


def test_three_single_task_models_of_one_seed_carry_it() -> None:
    runs = {task: {"config": {"seed": 2}, "metrics": {metric: 0.5},
                   "predictions": {task: {}}, "timings": {"train_seconds": 1.0}}
            for task, metric in (("sst", "sst_acc"), ("para", "para_acc"),
                                 ("sts", "sts_pearson"))}
    assert combined_single_task(runs)["config"] == {"seed": 2}
    runs["sts"]["config"] = {"seed": 1}
    assert "config" not in combined_single_task(runs)
