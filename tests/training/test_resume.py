"""When checkpoints are written and what they hold (the faults they survive: tests/faults/)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import minbert_lab.training.resume as checkpointing
from minbert_lab.config import RunConfig
from minbert_lab.training.resume import ResumeFile, RunProgress, read_resume_state
from minbert_lab.training.task_batches import CyclingBatches

CONFIG = RunConfig(profile="smoke", epochs=2).resolved()


def _started(path: Path, every: int | None) -> tuple[ResumeFile, RunProgress]:
    model = nn.Linear(3, 2)
    checkpoints = ResumeFile(path, CONFIG, every=every)
    return checkpoints, checkpoints.start(model, torch.optim.AdamW(model.parameters()))


def test_every_n_steps(tmp_path: Path) -> None:
    checkpoints, _ = _started(tmp_path / "a.resume", every=3)
    assert [s for s in range(1, 10) if checkpoints.due(s)] == [3, 6, 9]


def test_by_default_every_few_minutes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(checkpointing.time, "monotonic", lambda: now[0])
    checkpoints, run = _started(tmp_path / "a.resume", every=None)
    now[0] += checkpointing.RESUME_SECONDS - 1
    assert not checkpoints.due(1)
    now[0] += 1
    assert checkpoints.due(2)
    checkpoints.save(run, epoch=0, position=2)
    assert not checkpoints.due(3)  # the clock restarts at each save


def test_save_records_the_position_without_changing_the_run(tmp_path: Path) -> None:
    checkpoints, run = _started(tmp_path / "a.resume", every=1)
    run.step, run.train_seconds, run.train_cpu_seconds = 5, 10.0, 19.0
    stream = CyclingBatches(lambda k: [k, k, k])
    for _ in range(4):
        next(stream)
    checkpoints.save(run, epoch=1, position=5, sources={"sst": stream}, seconds=2.5,
                     cpu_seconds=4.5)
    progress = read_resume_state(tmp_path / "a.resume")["progress"]
    assert (progress["epoch"], progress["position"], progress["step"]) == (1, 5, 5)
    assert progress["train_seconds"] == 12.5 and run.train_seconds == 10.0
    assert progress["train_cpu_seconds"] == 23.5 and run.train_cpu_seconds == 19.0
    assert progress["streams"] == {"sst": {"pass_index": 1, "position": 1}}
    assert not list(tmp_path.glob("*.tmp"))


def test_fast_forward_puts_each_stream_back(tmp_path: Path) -> None:
    run = RunProgress(epoch=1, position=4, streams={"sst": {"pass_index": 1, "position": 2}})
    stream = CyclingBatches(lambda k: [f"p{k}b{i}" for i in range(3)])
    assert run.fast_forward({"sst": stream}) == 4
    assert next(stream) == "p1b2"


def test_a_state_saved_before_cpu_time_was_kept_resumes_with_none_counted(tmp_path: Path) -> None:
    path = tmp_path / "a.resume"
    checkpoints, run = _started(path, every=1)
    run.step, run.train_seconds = 5, 10.0
    checkpoints.save(run, epoch=1, cpu_seconds=3.0)
    payload = read_resume_state(path)
    del payload["progress"]["train_cpu_seconds"]  # as a queue at an older commit wrote it
    checkpointing.write_resume_state(path, payload)
    _, resumed = _started(path, every=1)
    assert (resumed.step, resumed.train_seconds, resumed.train_cpu_seconds) == (5, 10.0, 0.0)
