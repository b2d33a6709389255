"""Notebook 04's experiment configs and its run-time estimate."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from fake_runs import fake_result

from minbert_lab.experiments.extensions import (
    ALL_TASKS,
    BALANCED,
    PCGRAD,
    PLAIN,
    SHUFFLED,
    WEIGHTED,
    class_balance_arms,
    cost_configs,
    estimate_note,
    planned_runs,
    runtime_estimate,
    surgery_arms,
)
from minbert_lab.experiments.grids import grid_configs
from minbert_lab.experiments.store import RunStore, save_result
from minbert_lab.profiles import PROFILES


def test_surgery_arms_change_only_the_step_and_the_surgery():
    arms = surgery_arms("smoke", seed=1)
    assert list(arms) == [SHUFFLED, ALL_TASKS, PCGRAD]
    table4 = grid_configs("4", profile="smoke", seed=1)
    assert arms[SHUFFLED] == table4["Shuffled batches + SST unreg'd"]  # shared with Table 4
    assert arms[ALL_TASKS].tasks == arms[SHUFFLED].tasks
    assert (arms[ALL_TASKS].tasks_per_step, arms[ALL_TASKS].gradient_surgery) == ("all", "none")
    assert arms[PCGRAD] == dataclasses.replace(arms[ALL_TASKS], gradient_surgery="pcgrad")
    assert arms[PCGRAD].conflict_probes > 0 and arms[SHUFFLED].conflict_probes == 0


def test_class_balance_arms_start_from_table_1():
    arms = class_balance_arms("smoke")
    assert arms[PLAIN] == grid_configs("1", profile="smoke")["cross entropy loss"]
    assert arms[WEIGHTED].tasks["sst"].loss == "weighted_cross_entropy"
    assert arms[BALANCED].tasks["sst"].sampler == "balanced"


def test_cost_configs_cover_tables_2_to_4_and_the_surgery_runs():
    labels = list(cost_configs("smoke"))
    assert sum(label.startswith("T2: ") for label in labels) == 7
    assert sum(label.startswith("T3: ") for label in labels) == 4
    assert sum(label.startswith("T4: ") for label in labels) == 7
    assert labels[-2:] == [ALL_TASKS, PCGRAD]


def test_estimate_counts_cached_runs_and_times_the_rest_from_them(data_dir: Path,
                                                                  tmp_path: Path):
    planned = planned_runs("smoke", [0, 1])
    cold = runtime_estimate(planned, data_dir=data_dir, runs_dir=tmp_path)
    assert cold["cached"].sum() == 0
    assert cold.set_index("experiment").loc["gradient surgery", "runs"] == 6
    # Table 4's shuffled row is also a surgery arm: counted once, under the first experiment
    assert cold.set_index("experiment").loc["Table 4 over seeds", "runs"] == 14 - 2
    config = planned["class balance"][0]
    result = fake_result(config.tasks)
    result["config"] = config.resolved().to_dict()
    result["timings"] = {"train_seconds": 50.0, "eval_seconds": 10.0,
                         "train_examples_per_second": 1.0}
    save_result(RunStore(data_dir, tmp_path).path(config), result)
    warm = runtime_estimate(planned, data_dir=data_dir, runs_dir=tmp_path).set_index(
        "experiment")
    assert warm.loc["class balance", "cached"] == 1
    # 5 single-task SST runs left at the cached run's 60 s
    assert warm.loc["class balance", "estimated minutes"] == 5.0
    assert "runs still to train" in estimate_note(warm.reset_index())


@pytest.mark.parametrize("profile", list(PROFILES))
def test_with_nothing_cached_every_profile_is_estimated_as_unknown(profile, data_dir: Path,
                                                                   tmp_path: Path):
    estimate = runtime_estimate(planned_runs(profile, [0]), data_dir=data_dir, runs_dir=tmp_path,
                                results_dir=tmp_path / "no-results")
    assert estimate["estimated minutes"].isna().all()
    assert (estimate["to train"] == estimate["runs"]).all()
    assert "an unknown time" in estimate_note(estimate)


def test_committed_all_data_runs_count_as_stored_and_time_the_rest(data_dir: Path,
                                                                   tmp_path: Path):
    estimate = runtime_estimate(planned_runs("all-data", [0]), data_dir=data_dir,
                                runs_dir=tmp_path).set_index("experiment")
    table4 = estimate.loc["Table 4 over seeds"]
    assert table4["to train"] == 0 and table4["cached"] >= 6  # the committed seed-0 rows
    assert estimate["estimated minutes"].notna().all()  # timed from the committed runs


def test_damaged_cached_runs_are_not_timed(data_dir: Path, tmp_path: Path):
    planned = planned_runs("smoke", [0])
    config = planned["class balance"][0]
    result = fake_result(config.tasks)
    result["config"] = config.resolved().to_dict()
    path = RunStore(data_dir, tmp_path).path(config)
    save_result(path, result)
    path.write_text(path.read_text().replace('"train_seconds": 1.0', '"train_seconds": 9.0'))
    estimate = runtime_estimate(planned, data_dir=data_dir, runs_dir=tmp_path)
    assert estimate["estimated minutes"].isna().all()  # its checksum fails: nothing to go by
