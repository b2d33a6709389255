"""What limits the score: every stored run of the profile, named by its plan where it has one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from facts import says
from fake_runs import MULTITASK, fake_result

from minbert_lab.experiments.queue import ce_cs_sts_config
from minbert_lab.experiments.recipe import recipe_config
from minbert_lab.experiments.store import RunStore
from minbert_lab.study.ceiling import score_ceiling_section
from minbert_lab.study.settings import StudySettings


def test_the_ceiling_reads_every_stored_run_and_names_it(data_dir: Path, tmp_path: Path) -> None:
    study = StudySettings.from_env(profile="smoke", seeds=[0], root=tmp_path)
    study = dataclasses.replace(study, data_dir=data_dir, runs_dir=tmp_path / "runs",
                                train=False)
    store = RunStore(data_dir, study.runs_dir)
    says(score_ceiling_section(study, []).reading, "the recipe has no stored run yet")
    recipe = fake_result(MULTITASK)
    store.save(recipe_config("smoke", seed=0), recipe)

    sts = ce_cs_sts_config("smoke", seed=0)
    best_sts = {**fake_result(sts.tasks), "metrics": {"sts_pearson": 0.99, "score": 0.995}}
    store.save(sts, best_sts)
    section = score_ceiling_section(study, [recipe])
    (name, table), = section.tables
    assert name == "score-ceiling"
    row = table.set_index("task").loc["sts"]
    assert row["best reached"] == 0.99
    assert row["by"] == "single-task CE+CS STS (mean pooling), seed 0"
    assert table.iloc[3]["best reached"] > recipe["metrics"]["score"]
    says(section.reading, "the score would be", "over 1 seed)",
         "The recipe is furthest from that on sts")
    assert "2 stored runs" in table.attrs["caption"]
