"""Interruption: a run killed at any point continues from its last checkpoint to the same result.

Each test kills or interrupts a real run of ``FAULT_CONFIG``, resumes it with ``run_or_load``
and checks that (1) it resumed from the checkpoint it should have, (2) it trained only the steps
after it, and (3) every loss, metric and prediction equals the uninterrupted reference.
"""

from __future__ import annotations

import random
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import torch
from faulty_run import FAULT_CONFIG, FAULT_STEPS, RESUME_EVERY, child_env, same_run, script

from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.store import RunStore, load_result, resume_path
from minbert_lab.training.resume import read_resume_state
from minbert_lab.training.trainee import Trainee

# The "random" steps a child is killed at: drawn from a fixed seed, so every run of the suite
# kills at the same places; drawn after the first checkpoint, so there is something to resume.
KILL_STEPS = random.Random(224).sample(range(RESUME_EVERY, FAULT_STEPS), 2)


def _last_checkpoint_before(step: int) -> int:
    """The step the checkpoint on disk was saved at when step ``step`` was cut short."""
    return step // RESUME_EVERY * RESUME_EVERY  # epoch ends (6) are multiples too


def _resume_counting_steps(config, data_dir: Path, runs_dir: Path,
                           monkeypatch: pytest.MonkeyPatch) -> tuple[dict, int]:
    calls = []
    real = Trainee.loss
    monkeypatch.setattr(Trainee, "loss", lambda *a, **k: calls.append(1) or real(*a, **k))
    result = run_or_load(config, data_dir=data_dir, runs_dir=runs_dir, progress=False,
                         resume_every=RESUME_EVERY)
    monkeypatch.setattr(Trainee, "loss", real)
    return result, len(calls)


def _assert_left_clean(config, data_dir: Path, runs_dir: Path) -> None:
    path = RunStore(data_dir, runs_dir).path(config)
    assert load_result(path) is not None
    assert not resume_path(path).exists()  # deleted once the result is stored
    assert not list(path.parent.glob(".*.tmp"))  # a killed writer's leftovers are removed


def _run_child(data_dir: Path, runs_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(script(data_dir, runs_dir, *args), env=child_env(), timeout=300,
                          capture_output=True, text=True)


def test_the_fault_config_exercises_every_kind_of_state(reference: dict) -> None:
    steps = reference["history"]["steps"]
    assert len(steps) == FAULT_STEPS
    per_epoch = Counter((s["epoch"], s["task"]) for s in steps)
    assert max(per_epoch.values()) > 2  # some task drew more than its 2 batches: it cycled


@pytest.mark.slow
@pytest.mark.parametrize("kill_step", KILL_STEPS)
def test_sigkill_mid_epoch_resumes_to_the_same_result(kill_step: int, data_dir: Path,
                                                      tmp_path: Path, reference: dict,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    child = _run_child(data_dir, tmp_path, "--kill-at-step", str(kill_step))
    assert child.returncode == -signal.SIGKILL, child.stderr
    path = RunStore(data_dir, tmp_path).path(FAULT_CONFIG)
    assert not path.exists()
    saved = _last_checkpoint_before(kill_step)
    assert read_resume_state(resume_path(path))["progress"]["step"] == saved

    result, trained = _resume_counting_steps(FAULT_CONFIG, data_dir, tmp_path, monkeypatch)
    assert result["cached"] is False
    assert result["resumed_at_steps"] == [saved]
    assert trained == FAULT_STEPS - saved  # the steps before the checkpoint are not redone
    same_run(result, reference)
    _assert_left_clean(FAULT_CONFIG, data_dir, tmp_path)


@pytest.mark.slow
def test_kill_while_writing_a_checkpoint_keeps_the_previous_one(
        data_dir: Path, tmp_path: Path, reference: dict,
        monkeypatch: pytest.MonkeyPatch) -> None:
    child = _run_child(data_dir, tmp_path, "--kill-writing-resume-state", "2")
    assert child.returncode == -signal.SIGKILL, child.stderr
    path = RunStore(data_dir, tmp_path).path(FAULT_CONFIG)
    assert list(path.parent.glob(f".{path.stem}.resume.*.tmp"))  # the half-written second save
    assert read_resume_state(resume_path(path))["progress"]["step"] == RESUME_EVERY

    result, trained = _resume_counting_steps(FAULT_CONFIG, data_dir, tmp_path, monkeypatch)
    assert result["resumed_at_steps"] == [RESUME_EVERY]
    assert trained == FAULT_STEPS - RESUME_EVERY
    same_run(result, reference)
    _assert_left_clean(FAULT_CONFIG, data_dir, tmp_path)


@pytest.mark.slow
def test_kill_while_writing_the_result_never_leaves_half_a_result(
        data_dir: Path, tmp_path: Path, reference: dict,
        monkeypatch: pytest.MonkeyPatch) -> None:
    child = _run_child(data_dir, tmp_path, "--kill-writing-result")
    assert child.returncode == -signal.SIGKILL, child.stderr
    path = RunStore(data_dir, tmp_path).path(FAULT_CONFIG)
    assert not path.exists() and list(path.parent.glob(f".{path.stem}.*.tmp"))
    last = _last_checkpoint_before(FAULT_STEPS - 1)  # no checkpoint after the final step

    result, trained = _resume_counting_steps(FAULT_CONFIG, data_dir, tmp_path, monkeypatch)
    assert result["resumed_at_steps"] == [last]
    assert trained == FAULT_STEPS - last
    same_run(result, reference)
    _assert_left_clean(FAULT_CONFIG, data_dir, tmp_path)


@pytest.mark.slow
def test_keyboard_interrupt_in_a_notebook_resumes(data_dir: Path, tmp_path: Path,
                                                  reference: dict, interrupt_at,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    step = 8
    with interrupt_at(step), pytest.raises(KeyboardInterrupt):
        run_or_load(FAULT_CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False,
                    resume_every=RESUME_EVERY)
    path = RunStore(data_dir, tmp_path).path(FAULT_CONFIG)
    assert not path.exists()
    assert not path.with_suffix(".lock").exists()  # released and removed: nothing left behind
    with RunStore(data_dir, tmp_path).lock(FAULT_CONFIG) as waited:  # free at once
        assert waited is False

    torch.manual_seed(999)  # the notebook's RNG moved on; the checkpoint's state must win
    torch.rand(1000)
    result, trained = _resume_counting_steps(FAULT_CONFIG, data_dir, tmp_path, monkeypatch)
    saved = _last_checkpoint_before(step)
    assert result["resumed_at_steps"] == [saved]
    assert trained == FAULT_STEPS - saved
    same_run(result, reference)
    _assert_left_clean(FAULT_CONFIG, data_dir, tmp_path)
    again = run_or_load(FAULT_CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False)
    assert again["cached"] is True and again["metrics"] == reference["metrics"]


@pytest.mark.slow
def test_resuming_twice_still_gives_the_same_result(data_dir: Path, tmp_path: Path,
                                                    reference: dict) -> None:
    first = _run_child(data_dir, tmp_path, "--kill-at-step", "4")
    second = _run_child(data_dir, tmp_path, "--kill-at-step", "5")  # counts from the resume
    assert first.returncode == second.returncode == -signal.SIGKILL
    result = run_or_load(FAULT_CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False,
                         resume_every=RESUME_EVERY)
    assert result["resumed_at_steps"] == [3, 6]  # killed at 3 + 5 = 8: resumed at 6
    same_run(result, reference)
