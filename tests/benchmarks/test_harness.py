"""The timing harness: turns that rotate, loaded rounds redone and counted in the log passed in."""

from __future__ import annotations

import re

import pytest
import torch

from benchmarks import harness
from benchmarks.harness import LoadLog, OtherLoad, load_average, race

CPU = torch.device("cpu")


def test_race_rotates_who_goes_first_and_times_every_round():
    order = []
    fns = {name: (lambda n=name: order.append(n)) for name in ("a", "b", "c")}
    times = race(fns, warmup=1, repeats=3, device=CPU, log=LoadLog(), retries=0)
    assert order[:3] == ["a", "b", "c"]  # the warm-up
    assert order[3:] == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert {name: len(t) for name, t in times.items()} == {"a": 3, "b": 3, "c": 3}
    assert all(t >= 0 for ts in times.values() for t in ts)


@pytest.mark.parametrize(("busy", "redone", "kept"), [(0.0, 0, 0), (0.9, 4, 2)])
def test_loaded_rounds_are_redone_then_kept_and_logged(monkeypatch, busy, redone, kept):
    monkeypatch.setattr(OtherLoad, "fraction", lambda self: busy)
    monkeypatch.setattr(harness, "PAUSE", 0.0)
    log = LoadLog()
    calls = []
    times = race({"a": lambda: calls.append(1)}, warmup=0, repeats=2, device=CPU, log=log,
                 retries=2)  # fmt: skip
    assert (log.redone, log.kept) == (redone, kept)
    assert len(times["a"]) == 2 and len(calls) == 2 + redone


def test_other_load_is_a_share_of_the_cpus():
    load = OtherLoad()
    sum(range(10**5))
    assert 0.0 <= load.fraction()


def test_load_average_and_machine_description():
    assert re.fullmatch(r"\d+\.\d\d \d+\.\d\d \d+\.\d\d|n/a", load_average())
    text = harness.describe_machine(CPU)
    assert f"torch {torch.__version__}" in text and "logical CPUs" in text


def test_peak_is_a_positive_rate():
    assert harness.measure_peak(CPU, torch.float32, quick=True) > 0
