from __future__ import annotations

import dataclasses

import pytest
from facts import says

from minbert_lab.analysis.closest import closest_paper_row, comparison_frame, config_differences
from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.experiments.grids import table1, table2, table4


def test_a_paper_config_finds_its_own_row():
    for rows, table in ((table1("smoke"), "1"), (table2("smoke"), "2"), (table4("smoke"), "4")):
        for row in rows:
            closest = closest_paper_row(row.config)
            assert (closest.table, closest.label) == (table, row.label)
            assert closest.exact and "the same configuration" in closest.describe()


def test_differences_are_named_and_profile_and_seed_ignored():
    base = table1("quick")[0].config
    changed = dataclasses.replace(base, dropout=0.3, seed=7, profile="smoke")
    closest = closest_paper_row(changed)
    assert closest.label == "cross entropy loss"
    (difference,) = closest.differences  # the seed and the profile are not differences
    says(difference, "dropout", "0.3", "0.1")  # the field, ours, the paper row's


def test_another_weight_of_the_same_regulariser_is_nearer_than_no_regulariser():
    config = RunConfig(tasks={"sst": TaskConfig("linear", "ce", "smart", 1.0)}, profile="smoke")
    closest = closest_paper_row(config)
    assert closest.label == "cross entropy loss + SMART (lambda=3)"
    (difference,) = closest.differences
    says(difference, "sst reg_weight", "1.0", "3.0")


def test_multitask_configs_only_meet_multitask_rows():
    shuffled = table4("smoke")[3].config  # Shuffled batches + SST unreg'd
    closest = closest_paper_row(dataclasses.replace(shuffled, ordering="round_robin"))
    assert closest.table == "4"
    (difference,) = closest.differences
    says(difference, "ordering", "round_robin", "shuffled")


def test_single_task_runs_ignore_the_ordering():
    base = table1("smoke")[0].config
    assert config_differences(dataclasses.replace(base, ordering="sequential"), base) == []


def test_a_task_set_the_paper_never_trained_is_an_error():
    config = RunConfig(tasks={"para": TaskConfig("CE", "bce"), "sts": TaskConfig("CE", "mse")})
    with pytest.raises(ValueError, match="no paper row"):
        closest_paper_row(config)


def test_comparison_frame_puts_ours_beside_the_paper():
    closest = closest_paper_row(table1("smoke")[0].config)
    frame = comparison_frame({"sst_acc": 0.5, "score": 0.5, "epoch": 0}, closest)
    assert frame.to_dict("records") == [
        {"metric": "sst_acc", "ours": 0.5, "paper": 0.512, "ours − paper": -0.012}]
