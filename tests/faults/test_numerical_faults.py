"""Numerical faults: a NaN or infinite loss, gradient or output stops the run, names where, and
leaves the last good checkpoint (never a checkpoint or result made from the bad step)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import torch
from faulty_run import FAULT_CONFIG, RESUME_EVERY, same_run
from smoke_configs import SST_SMOKE

import minbert_lab.training.loop as loop
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.store import RunStore, resume_path
from minbert_lab.training.divergence import TrainingDivergedError
from minbert_lab.training.resume import read_resume_state
from minbert_lab.training.trainee import Trainee

WATCHED = "encoder.embeddings.word_embeddings.weight"  # every task's step reaches it


class Faults:
    """Wraps ``Trainee.loss`` (the step's seam) and ``loop.build`` to corrupt one chosen step."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.batches: list = []
        self.models: list = []
        self.loss_fault: tuple[int, float] | None = None
        self.grad_fault_step: int | None = None
        real_loss, real_build = Trainee.loss, loop.build

        def training_loss(trainee, task, batch, *rest):
            self.calls += 1
            self.batches.append(batch)
            loss = real_loss(trainee, task, batch, *rest)
            if self.loss_fault and self.calls == self.loss_fault[0] + 1:
                loss = loss + self.loss_fault[1]
            return loss

        def build(*args, **kwargs):
            trainee = real_build(*args, **kwargs)
            self.models.append(trainee.model)
            param = dict(trainee.model.named_parameters())[WATCHED]
            param.register_hook(lambda g: g * float("nan") if self._grad_fault_now() else g)
            return trainee

        monkeypatch.setattr(Trainee, "loss", training_loss)
        monkeypatch.setattr(loop, "build", build)


    def _grad_fault_now(self) -> bool:
        return self.grad_fault_step is not None and self.calls == self.grad_fault_step + 1


def _assert_last_good_checkpoint_kept(data_dir: Path, runs_dir: Path, config,
                                      fault_step: int) -> None:
    path = RunStore(data_dir, runs_dir).path(config)
    assert not path.exists()  # no result from a diverged run
    payload = read_resume_state(resume_path(path))
    assert payload["progress"]["step"] == fault_step // RESUME_EVERY * RESUME_EVERY
    for name, tensor in {**payload["model"], **payload["teacher"]}.items():
        assert torch.isfinite(tensor).all(), name


@pytest.mark.slow
@pytest.mark.parametrize(("value", "step"), [(float("nan"), 7), (float("inf"), 4)])
def test_nonfinite_loss_stops_with_step_task_and_batch(value: float, step: int, data_dir: Path,
                                                       tmp_path: Path, reference: dict,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    faults = Faults(monkeypatch)
    faults.loss_fault = (step, value)
    with pytest.raises(TrainingDivergedError) as raised:
        run_or_load(FAULT_CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False,
                    resume_every=RESUME_EVERY)
    where = reference["history"]["steps"][step]
    ids = re.escape(str(faults.batches[step].ids[:3]))
    assert re.search(rf"loss became {value} at step {step} \(epoch {where['epoch'] + 1}, task "
                     rf"{where['task']}, batch ids {ids}", str(raised.value)), raised.value
    _assert_last_good_checkpoint_kept(data_dir, tmp_path, FAULT_CONFIG, step)

    monkeypatch.undo()  # the fault is gone: the kept checkpoint finishes the run correctly
    result = run_or_load(FAULT_CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False,
                         resume_every=RESUME_EVERY)
    assert result["resumed_at_steps"] == [step // RESUME_EVERY * RESUME_EVERY]
    same_run(result, reference)


@pytest.mark.slow
@pytest.mark.parametrize("grad_clip", [1.0, 0.0])
def test_nonfinite_gradient_stops_before_the_weights_change(grad_clip: float, data_dir: Path,
                                                            tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    config = dataclasses.replace(FAULT_CONFIG, grad_clip=grad_clip)
    faults = Faults(monkeypatch)
    faults.grad_fault_step = step = 5
    with pytest.raises(TrainingDivergedError,
                       match=rf"gradient of {WATCHED} became non-finite at step {step} \(epoch 1"):
        run_or_load(config, data_dir=data_dir, runs_dir=tmp_path, progress=False,
                    resume_every=RESUME_EVERY)
    (model,) = faults.models
    for name, p in model.named_parameters():
        assert torch.isfinite(p).all(), name  # the NaN never reached a weight
    _assert_last_good_checkpoint_kept(data_dir, tmp_path, config, step)


@pytest.mark.slow
def test_nonfinite_dev_outputs_are_an_error_not_a_score(data_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config = SST_SMOKE
    faults = Faults(monkeypatch)
    real_build = loop.build

    def build(*args, **kwargs):  # NaN logits at evaluation only: argmax would still "score"
        trainee = real_build(*args, **kwargs)
        head = trainee.model.heads["sst"]
        head.register_forward_hook(lambda m, i, out: out if m.training else out * float("nan"))
        return trainee

    monkeypatch.setattr(loop, "build", build)
    with pytest.raises(TrainingDivergedError, match="sst dev outputs are not finite"):
        run_or_load(config, data_dir=data_dir, runs_dir=tmp_path, progress=False)
    assert faults.calls == 2  # both training steps ran; the fault was caught at evaluation
    assert not RunStore(data_dir, tmp_path).path(config).exists()
