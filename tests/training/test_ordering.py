"""Multitask batch orderings (``training/ordering.py``): which task each step of an epoch trains."""

from __future__ import annotations

import pandas as pd
import pytest

from minbert_lab.config import ORDERINGS
from minbert_lab.training.ordering import (
    ProportionalTaskOrder,
    RoundRobinTaskOrder,
    SequentialTaskOrder,
    ShuffledTaskOrder,
    WeightedTaskOrder,
    compositions,
    make_task_order,
    step_tasks,
)

N = {"sst": 3, "para": 5, "sts": 2}
PAPER = {"sst": 34, "para": 504, "sts": 189}  # quick-profile-like sizes, para-dominated


def mean_shares(order, epochs: int) -> dict[str, float]:
    totals = dict.fromkeys(order.tasks, 0)
    for epoch in range(epochs):
        for task, n in order.counts(epoch).items():
            totals[task] += n
    steps = sum(totals.values())
    return {t: n / steps for t, n in totals.items()}


def test_every_configured_ordering_can_be_built():
    for name in ORDERINGS:
        assert make_task_order(name, N).name == name
    with pytest.raises(ValueError, match="ordering='zigzag'"):
        make_task_order("zigzag", N)


def test_sequential_is_each_task_in_turn_every_epoch():
    order = SequentialTaskOrder(N)
    expected = ["sst"] * 3 + ["para"] * 5 + ["sts"] * 2
    assert order.order(0) == expected
    assert order.order(7) == expected


def test_shuffled_is_a_seeded_permutation_that_changes_per_epoch():
    order = ShuffledTaskOrder(PAPER, seed=3)
    first = order.order(0)
    assert sorted(first) == sorted(SequentialTaskOrder(PAPER).order(0))
    assert order.counts(0) == PAPER
    assert order.order(1) != first
    assert ShuffledTaskOrder(PAPER, seed=3).order(0) == first  # rerun repeats
    assert ShuffledTaskOrder(PAPER, seed=4).order(0) != first
    assert ShuffledTaskOrder(PAPER, seed=2).order(1) == first  # seeded with seed + epoch


def test_weighted_favours_its_task_by_the_formula():
    weight = 3.0
    order = WeightedTaskOrder(PAPER, seed=0, task="sst", weight=weight)
    assert order.steps_per_epoch == sum(PAPER.values())
    assert all(len(order.order(e)) == sum(PAPER.values()) for e in range(3))
    expected = PAPER["sst"] * weight / (sum(PAPER.values()) + PAPER["sst"] * (weight - 1))
    assert order.probabilities()["sst"] == pytest.approx(expected)
    assert mean_shares(order, epochs=40)["sst"] == pytest.approx(expected, abs=0.01)
    assert expected > PAPER["sst"] / sum(PAPER.values())
    assert order.order(0) == WeightedTaskOrder(PAPER, seed=0, task="sst", weight=weight).order(0)
    assert order.order(0) != order.order(1)


def test_weight_one_matches_shuffled_shares():
    order = WeightedTaskOrder(PAPER, seed=0, task="sst", weight=1.0)
    total = sum(PAPER.values())
    for task, p in order.probabilities().items():
        assert p == pytest.approx(PAPER[task] / total)


def test_proportional_spans_size_proportional_to_uniform():
    total = sum(PAPER.values())
    warm = ProportionalTaskOrder(PAPER, seed=0, temperature=1.0)
    assert warm.steps_per_epoch == total
    shares = mean_shares(warm, epochs=40)
    for task, n in PAPER.items():
        assert shares[task] == pytest.approx(n / total, abs=0.01)
    hot = ProportionalTaskOrder(PAPER, seed=0, temperature=1e6)
    for share in mean_shares(hot, epochs=40).values():
        assert share == pytest.approx(1 / 3, abs=0.01)
    # T = 2 lies between: small tasks gain, the big one loses.
    mid = ProportionalTaskOrder(PAPER, temperature=2.0).probabilities()
    assert PAPER["sst"] / total < mid["sst"] < 1 / 3 < mid["para"] < PAPER["para"] / total


def test_round_robin_is_whole_rounds_of_one_batch_per_task():
    order = RoundRobinTaskOrder(N)  # 10 batches, 3 tasks -> ceil(10 / 3) = 4 rounds
    assert order.order(0) == ["sst", "para", "sts"] * 4
    assert order.order(5) == order.order(0)
    assert order.steps_per_epoch == 12
    assert order.counts(0) == {"sst": 4, "para": 4, "sts": 4}
    paper = RoundRobinTaskOrder(PAPER)
    assert paper.steps_per_epoch == 729  # 727 rounded up to whole rounds of 3


def test_every_ordering_reports_its_steps_and_a_composition_table():
    for name in ORDERINGS:
        order = make_task_order(name, N, seed=1)
        frame = order.composition(2)
        assert list(frame.columns) == ["step", "task"]
        assert frame["step"].tolist() == list(range(order.steps_per_epoch))
        assert frame["task"].tolist() == order.order(2)
        assert set(order.counts(2)) == set(N)
        assert sum(order.counts(2).values()) == order.steps_per_epoch


@pytest.mark.parametrize("name", ORDERINGS)
def test_single_task_runs_work_with_every_ordering(name):
    # The config default favours "sst"; in a para-only run that cannot matter, so it is allowed.
    order = make_task_order(name, {"para": 4}, seed=0, task="sst")
    assert order.order(0) == ["para"] * 4


def test_factory_passes_knobs_and_ignores_unused_ones():
    order = make_task_order("weighted", N, seed=5, task="sts", weight=4.0, temperature=9.0)
    assert (order.seed, order.task, order.weight) == (5, "sts", 4.0)
    assert make_task_order("proportional", N, temperature=3.0).temperature == 3.0
    all_orders = compositions(N, epoch=1, seed=2)
    assert list(all_orders) == list(ORDERINGS)
    assert all(isinstance(frame, pd.DataFrame) for frame in all_orders.values())


def test_factory_rejects_unknown_names_naming_the_choices():
    with pytest.raises(ValueError, match="ordering='random'.*round_robin"):
        make_task_order("random", N)


@pytest.mark.parametrize(
    ("n_batches", "match"),
    [
        ({}, "n_batches"),
        (None, "n_batches"),
        ({"sst": 0}, r"n_batches\['sst'\]=0"),
        ({"sst": 3, "para": -1}, r"n_batches\['para'\]"),
        ({"sst": 2.5}, r"n_batches\['sst'\]"),
        ({"sst": True}, r"n_batches\['sst'\]"),
        ({"": 3}, "task names"),
    ],
)
def test_bad_batch_counts_are_rejected(n_batches, match):
    with pytest.raises(ValueError, match=match):
        make_task_order("shuffled", n_batches)


def test_bad_knobs_are_rejected():
    with pytest.raises(ValueError, match="task='qqp'.*'sst', 'para', 'sts'"):
        make_task_order("weighted", N, task="qqp")
    with pytest.raises(ValueError, match="weight=0"):
        make_task_order("weighted", N, weight=0)
    with pytest.raises(ValueError, match="temperature=-1"):
        make_task_order("proportional", N, temperature=-1)


def test_step_tasks_groups_round_robin_rounds_for_all_tasks_steps():
    ordering = make_task_order("round_robin", {"sst": 2, "para": 3, "sts": 1})
    assert step_tasks(ordering, 0, "all") == [("sst", "para", "sts")] * 2
    assert step_tasks(ordering, 0, "one") == [(t,) for t in ordering.order(0)]
    shuffled = make_task_order("shuffled", {"sst": 2, "para": 3})
    with pytest.raises(ValueError, match="needs round_robin"):
        step_tasks(shuffled, 0, "all")
    with pytest.raises(ValueError, match="tasks_per_step='some'"):
        step_tasks(ordering, 0, "some")


def test_every_ordering_the_config_lists_builds_its_own_class():
    from minbert_lab.config import ORDERINGS
    from minbert_lab.training.ordering import ORDER_CLASSES

    assert set(ORDER_CLASSES) == set(ORDERINGS)
    for name in ORDERINGS:
        built = make_task_order(name, {"sst": 2, "para": 3}, seed=1)
        assert type(built) is ORDER_CLASSES[name] and built.name == name
