"""The lever screen section: reads the stored screen runs only, and names the promising levers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from facts import says
from fake_runs import MULTITASK, fake_result, with_predictions

from minbert_lab.analysis.overview import train_labels
from minbert_lab.analysis.recipe import screen_table
from minbert_lab.experiments.recipe import (
    RECIPE,
    fair_single_task_config,
    lever_confirmation,
    lever_screen,
)
from minbert_lab.experiments.store import RunStore
from minbert_lab.study.lever_screen import lever_confirmation_section, lever_screen_section
from minbert_lab.study.settings import StudySettings

SST_LABELS = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]  # fake_runs' SST dev labels


def _better_sst(result: dict) -> dict:
    better = with_predictions(result, "sst", SST_LABELS)  # every SST example right
    return {**better, "metrics": {**result["metrics"], "sst_acc": 1.0}}


def test_a_lever_that_helps_is_named_and_the_missing_ones_are_counted(
        data_dir: Path, tmp_path: Path) -> None:
    study = StudySettings.from_env(profile="smoke", seeds=[0], root=tmp_path)
    study = dataclasses.replace(study, data_dir=data_dir, runs_dir=tmp_path / "runs",
                                train=False)
    says(lever_screen_section(study).reading, "not run yet")
    configs = lever_screen("smoke", seed=0, checkpoint=study.checkpoint)
    store = RunStore(data_dir, study.runs_dir)
    base = fake_result(MULTITASK)
    store.save(configs[RECIPE], base)
    store.save(configs["with 4 epochs"], _better_sst(base))
    store.save(configs["with label smoothing 0.1 for SST"], base)
    section = lever_screen_section(study)
    (name, table), = section.tables
    assert name == "lever-screen"
    assert table["lever"].tolist() == ["4 epochs", "label smoothing 0.1 for SST"]
    assert table["sst gain"].tolist() == [1.0 - base["metrics"]["sst_acc"], 0.0]
    says(section.reading, "Worth three fp32 seeds:** 4 epochs (",
         "`python -m minbert_lab queue confirm --lever '4 epochs'` trains their 3 confirmation")
    says(table.attrs["caption"], "screen runs not stored yet")


def test_a_screen_gain_is_the_lever_minus_the_recipe() -> None:
    base = fake_result(MULTITASK)
    table = screen_table(base, {"with better SST": _better_sst(base)}, resamples=200)
    row = table.iloc[0]
    assert row["lever"] == "better SST" and row["score gain"] > 0 and row["sst gain"] > 0
    assert row["time cost"] == "1.00x"


def test_the_reading_says_how_sure_the_sst_teacher_is_of_its_training_set(
        data_dir: Path, tmp_path: Path) -> None:
    study = dataclasses.replace(StudySettings.from_env(profile="smoke", seeds=[0], root=tmp_path),
                                data_dir=data_dir, runs_dir=tmp_path / "runs", train=False)
    labels = train_labels("sst", data_dir, profile="smoke", checkpoint=study.checkpoint)
    certain = np.eye(5)[labels]  # an in-sample teacher that is right and sure everywhere
    teacher = {**fake_result({"sst": MULTITASK["sst"]}),
               "train_outputs": {"sst": {"outputs": certain.tolist()}}}
    RunStore(data_dir, study.runs_dir).save(
        fair_single_task_config("sst", "smoke", seed=0, checkpoint=study.checkpoint), teacher)
    reading = lever_screen_section(study).reading
    says(reading, "right on 100.0% of its own training set, with a mean top probability of 1.00")
    says(reading, "close to the gold one-hot ones")


def test_a_lever_that_helps_over_seeds_is_kept(data_dir: Path, tmp_path: Path) -> None:
    study = dataclasses.replace(StudySettings.from_env(profile="smoke", root=tmp_path),
                                data_dir=data_dir, runs_dir=tmp_path / "runs", train=False)
    recipe = [fake_result(MULTITASK, seed=s) for s in range(3)]
    says(lever_confirmation_section(study, recipe).reading, "no lever confirmed yet")
    store = RunStore(data_dir, study.runs_dir)
    for seed in range(3):
        store.save(lever_confirmation("4 epochs", "smoke", seed=seed,
                                      checkpoint=study.checkpoint), _better_sst(recipe[seed]))
    store.save(lever_confirmation("private top layer for SST", "smoke", seed=0,
                                  checkpoint=study.checkpoint), recipe[0])
    section = lever_confirmation_section(study, recipe)
    (name, table), = section.tables
    assert name == "lever-confirmation"
    assert table["lever"].tolist() == ["private top layer for SST", "4 epochs"]  # screen order
    assert table["seeds"].tolist() == ["1 / 3", "3 / 3"]
    says(section.reading, "**Kept:** 4 epochs (a significant score gain over seeds)")
    says(table.attrs["caption"], "over their stored seeds", "may have been seen as positives")
