"""Training queues: the plans' runs and order, and a queue that trains only what is missing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from fake_runs import MULTITASK, fake_result

import minbert_lab.experiments.queue as queue
from minbert_lab.config import Ordering, RunConfig
from minbert_lab.experiments.committed import RESULTS_DIR
from minbert_lab.experiments.queue import (
    PLANS,
    confirmation_plan,
    estimated_seconds,
    every_planned_run,
    is_stored,
    run_queue,
    seeds_plan,
)
from minbert_lab.experiments.recipe import (
    CANDIDATE_LEVERS,
    fair_single_task_config,
    lever_confirmation,
    lever_screen,
    recipe_config,
    single_task_of,
)
from minbert_lab.experiments.store import RunStore


def test_the_whole_study_is_committed_at_three_seeds(data_dir: Path) -> None:
    """The promise of issue #23: every Table 1-4 config and the CE+CS STS run at seeds 0, 1, 2
    loads from results/ on a fresh clone (no runs/)."""
    plan = seeds_plan(seeds=(0, 1, 2))
    assert len(plan) == 66  # Tables 1-4 (3 + 7 + 4 + 7 rows) and the CE+CS STS run, 3 seeds each
    missing = [label for label, config in plan
               if not is_stored(config, data_dir=data_dir, runs_dir="no-runs",
                                results_dir=RESULTS_DIR)]
    assert missing == []


def test_every_committed_run_is_named_by_a_plan_but_the_explorations(data_dir: Path) -> None:
    store = RunStore(data_dir, "no-runs", RESULTS_DIR)
    named = [store.key(config) for _, config in every_planned_run()]
    assert len(named) == len(set(named))
    unnamed = sorted(set(store.results("all-data")) - set(named))
    # the recipe's two single-task explorations (experiments.recipe) and the zero-shot rows
    assert [key for key in unnamed if not key.startswith("zero-shot-")] == [
        "a76c2b876b112a5c4f99", "ba8a9bae7e71f464498c"]


def test_the_claims_rows_train_first_and_each_config_gets_both_seeds_in_a_row() -> None:
    labels = [label for label, _ in seeds_plan()]
    assert len(labels) == 44
    assert [label.split(":")[0] for label in labels[:8:2]] == [
        "Table 4 row 2", "Table 4 row 3", "Table 4 row 4", "Table 4 row 7"]
    assert labels[0].endswith("seed 1") and labels[1].endswith("seed 2")
    assert labels[1].removesuffix("seed 2") == labels[0].removesuffix("seed 1")


def test_a_fair_single_task_model_is_the_recipe_on_one_task() -> None:
    for task in ("sst", "para", "sts"):
        alone = fair_single_task_config(task, seed=2)
        recipe = recipe_config(seed=2)
        assert list(alone.tasks) == [task] and alone.tasks[task] == recipe.tasks[task]
        assert alone.train_outputs  # it is also the task's teacher (distill)
        assert dataclasses.replace(alone, tasks=recipe.tasks, train_outputs=False) == recipe
    assert len(PLANS["single-task"]()) == 9


def test_a_recipe_with_multitask_levers_on_one_task_drops_them() -> None:
    """A final recipe that distils, has a private SST layer and samples by temperature has
    the same fair single-task models as the plain one (none of that means anything on one
    task, and a private SST layer is invalid without SST); its epochs and task settings
    carry over."""
    plain = recipe_config(seed=1)
    levers = dataclasses.replace(plain, distill="all", private_top_layer="sst",
                                 ordering=Ordering("proportional", temperature=4 / 3))
    for task in ("sst", "para", "sts"):
        assert single_task_of(levers, task) == fair_single_task_config(task, seed=1)
    longer = dataclasses.replace(plain, epochs=4)
    assert single_task_of(longer, "sst").epochs == 4


def test_the_queue_trains_only_the_missing_runs_in_order(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    plan = seeds_plan(profile="smoke", seeds=(5,))[:3]
    stored = plan[1][1]
    monkeypatch.setattr(queue, "is_stored", lambda config, **_: config == stored)
    trained = []
    monkeypatch.setattr(queue, "run_or_load",
                        lambda config, **kwargs: trained.append((config, kwargs["label"])))
    run_queue(plan, data_dir=data_dir, runs_dir=tmp_path)
    assert [config for config, _ in trained] == [plan[0][1], plan[2][1]]
    assert trained[1][1] == f"queue 2/2 ({plan[2][0]})"


def test_a_confirmation_is_the_screened_config_in_the_profile_precision_at_every_seed() -> None:
    levers = ("4 epochs", "SMART (lambda=3) for SST")
    plan = confirmation_plan(levers=levers)
    assert [label for label, _ in plan] == [f"confirm: with {lever}, seed {seed}"
                                            for lever in levers for seed in (0, 1, 2)]
    for lever in CANDIDATE_LEVERS:
        for seed in (0, 2):
            confirmed = lever_confirmation(lever, seed=seed)
            screened = lever_screen(seed=seed)[f"with {lever}"]
            assert screened.precision == "bf16" and confirmed.resolved().precision == "fp32"
            assert dataclasses.replace(screened, precision=None) == confirmed
    assert confirmation_plan() == []  # no lever named, nothing to train
    with pytest.raises(ValueError, match="not a candidate lever; choose from"):
        confirmation_plan(levers=("5 epochs",))


def test_a_time_estimate_counts_each_run_epochs(data_dir: Path, tmp_path: Path) -> None:
    store = RunStore(data_dir, tmp_path / "runs", tmp_path / "results")
    stored = RunConfig(tasks=MULTITASK, profile="smoke", epochs=2)
    result = fake_result(epochs=2)
    result["timings"] = {**result["timings"], "train_seconds": 9.0, "eval_seconds": 1.0}
    store.save(stored, result)  # 10 s over 2 epochs: 5 s an epoch
    longer = dataclasses.replace(stored, epochs=4, seed=1)
    assert estimated_seconds([longer], store) == pytest.approx(20.0)
    assert estimated_seconds([longer, dataclasses.replace(longer, seed=2)],
                             store) == pytest.approx(40.0)
    alone = RunConfig(tasks={"sst": MULTITASK["sst"]}, profile="smoke")
    assert estimated_seconds([alone], store) is None  # no single-task run to go by


def test_a_time_estimate_goes_at_the_pace_of_the_runs_own_precision(data_dir: Path,
                                                                     tmp_path: Path) -> None:
    store = RunStore(data_dir, tmp_path / "runs", tmp_path / "results")
    fp32 = RunConfig(tasks=MULTITASK, profile="smoke", epochs=2, precision="fp32")
    bf16 = dataclasses.replace(fp32, precision="bf16", seed=1)
    result = fake_result(epochs=2)
    result["timings"] = {**result["timings"], "train_seconds": 19.0, "eval_seconds": 1.0}
    store.save(fp32, result)  # 20 s over 2 epochs: 10 s an epoch in fp32
    assert estimated_seconds([bf16], store) == pytest.approx(20.0)  # no bf16 run: fp32's pace
    result["timings"] = {**result["timings"], "train_seconds": 7.0, "eval_seconds": 1.0}
    result["config"] = bf16.resolved().to_dict()
    store.save(bf16, result)  # 4 s an epoch in bf16
    later = dataclasses.replace(bf16, seed=2)
    assert estimated_seconds([later], store) == pytest.approx(8.0)
    assert estimated_seconds([dataclasses.replace(fp32, seed=3)], store) == pytest.approx(20.0)
