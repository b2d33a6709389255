"""One optimizer step (``training/step.py``) on a real smoke model: it trains a batch of each task
it is given, and nothing non-finite reaches the weights."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from smoke_configs import SST_SMOKE, STS_SMOKE

from minbert_lab.data.collate import make_batches
from minbert_lab.training.divergence import TrainingDivergedError
from minbert_lab.training.loop import train
from minbert_lab.training.optim import make_optimizer
from minbert_lab.training.step import train_step
from minbert_lab.training.surgery import StepGradients
from minbert_lab.training.task_batches import CyclingBatches
from minbert_lab.training.trainee import Trainee, build

CPU = torch.device("cpu")
WATCHED = "encoder.embeddings.word_embeddings.weight"  # every task's step reaches it


def _parts(config, data_dir: Path):
    """A built trainee, its optimizer and step gradients, and a batch stream per task."""
    torch.manual_seed(0)
    trainee = build(config.resolved(), data_dir)
    trainee.model.train()
    optimizer = make_optimizer(trainee.model, trainee.config)
    gradients = StepGradients([p for _, p in trainee.model.shared_parameters()])

    def stream(task: str) -> CyclingBatches:
        return CyclingBatches(lambda k: make_batches(
            trainee.train[task], trainee.forms[task], batch_size=16, max_length=32, seed=k))

    return trainee, optimizer, gradients, {t: stream(t) for t in trainee.config.tasks}


def _weights(trainee: Trainee) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in trainee.model.state_dict().items()}


def test_a_step_trains_a_batch_of_each_task_it_names(data_dir: Path) -> None:
    config = dataclasses.replace(SST_SMOKE, tasks={**SST_SMOKE.tasks, **STS_SMOKE.tasks})
    trainee, optimizer, gradients, sources = _parts(config, data_dir)
    before = _weights(trainee)
    losses, projected, examples = train_step(trainee, optimizer, gradients, ["sst", "sts"],
                                             sources, device=CPU, step=0, epoch=0)
    assert set(losses) == {"sst", "sts"} and all(v > 0 for v in losses.values())
    assert projected == {} and examples == 2 * 16  # summed, not PCGrad: nothing projected
    assert (sources["sst"].position, sources["sts"].position) == (1, 1)
    after = trainee.model.state_dict()
    assert not torch.equal(after[WATCHED], before[WATCHED])
    for task in ("sst", "sts"):  # each head got its own task's gradient
        head = next(k for k in after if k.startswith(f"heads.{task}."))
        assert not torch.equal(after[head], before[head])


def test_the_bregman_teacher_follows_each_step(data_dir: Path) -> None:
    trainee, optimizer, gradients, sources = _parts(
        dataclasses.replace(SST_SMOKE, bregman_weight=0.5), data_dir)
    teacher = {k: v.clone() for k, v in trainee.bregman.teacher.state_dict().items()}
    train_step(trainee, optimizer, gradients, ["sst"], sources, device=CPU, step=0, epoch=0)
    moved = trainee.bregman.teacher.state_dict()
    assert any(not torch.equal(moved[k], v) for k, v in teacher.items())


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_nonfinite_loss_stops_the_step_before_the_weights_move(
        value: float, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trainee, optimizer, gradients, sources = _parts(SST_SMOKE, data_dir)
    real = Trainee.loss
    monkeypatch.setattr(Trainee, "loss", lambda *a, **k: real(*a, **k) * value)
    before = _weights(trainee)
    with pytest.raises(TrainingDivergedError) as raised:
        train_step(trainee, optimizer, gradients, ["sst"], sources, device=CPU, step=5, epoch=1)
    message = str(raised.value)
    assert f"loss became {value}" in message
    assert "step 5" in message and "epoch 2" in message and "task sst" in message
    after = trainee.model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in before.items())


def test_a_nonfinite_gradient_stops_the_step_before_the_weights_move(data_dir: Path) -> None:
    trainee, optimizer, gradients, sources = _parts(SST_SMOKE, data_dir)
    dict(trainee.model.named_parameters())[WATCHED].register_hook(lambda g: g * float("nan"))
    before = _weights(trainee)
    with pytest.raises(TrainingDivergedError, match=rf"gradient of {WATCHED} became non-finite"):
        train_step(trainee, optimizer, gradients, ["sst"], sources, device=CPU, step=0, epoch=0)
    after = trainee.model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in before.items())


def test_divergence_stops_with_step_and_task(data_dir: Path) -> None:
    config = dataclasses.replace(STS_SMOKE, lr=1e6)  # a whole run, diverging in a step
    with pytest.raises(TrainingDivergedError, match=r"at step \d+ .*task sts"):
        train(config, data_dir=data_dir, progress=False)
