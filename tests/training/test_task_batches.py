"""A task's endless stream of batches (``training/task_batches.py``): a new pass when one runs out,
and a state to continue from without replaying."""

from __future__ import annotations

import random

import pytest

from minbert_lab.training.task_batches import CyclingBatches


def test_cycling_batches_reshuffles_each_pass():
    calls = []

    def make_batches(pass_index: int) -> list[int]:
        calls.append(pass_index)
        batches = list(range(6))
        random.Random(100 + pass_index).shuffle(batches)
        return batches

    stream = CyclingBatches(make_batches)
    assert calls == []  # lazy: nothing built until asked
    taken = [next(stream) for _ in range(15)]
    assert calls == [0, 1, 2]
    first, second = taken[:6], taken[6:12]
    assert sorted(first) == sorted(second) == list(range(6))
    assert first != second
    assert (stream.pass_index, stream.position) == (2, 3)


def test_cycling_batches_rejects_an_empty_pass():
    with pytest.raises(ValueError, match=r"make_batches\(0\) returned no batches"):
        next(CyclingBatches(lambda k: []))


def test_cycling_batches_next_method_matches_builtin_next():
    stream = CyclingBatches(lambda k: [k * 10, k * 10 + 1])
    assert [stream.next(), next(stream), stream.next()] == [0, 1, 10]


def test_cycling_batches_continue_from_their_state_without_replaying() -> None:
    built: list[int] = []

    def make_batches(k: int) -> list[str]:
        built.append(k)
        return [f"p{k}b{i}" for i in range(3)]

    stream = CyclingBatches(make_batches)
    fresh = CyclingBatches(make_batches)
    fresh.load_state_dict(stream.state_dict())  # before the first batch: nothing to rebuild
    assert built == [] and next(fresh) == "p0b0"
    for _ in range(5):  # into the second pass
        next(stream)
    resumed = CyclingBatches(make_batches)
    built.clear()
    resumed.load_state_dict(stream.state_dict())
    assert built == [1]  # only the pass in progress is rebuilt
    assert [next(resumed) for _ in range(5)] == [next(stream) for _ in range(5)]
