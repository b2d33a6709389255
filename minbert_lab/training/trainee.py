"""What a run trains: the model, and per task its data, loss and regularizers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from minbert_lab.config import NUM_CLASSES, RunConfig
from minbert_lab.data.batch import Batch
from minbert_lab.data.splits import DATA_DIR, TaskSplit, load_split
from minbert_lab.encoder import MinBert
from minbert_lab.losses import make_loss
from minbert_lab.model import MultitaskModel
from minbert_lab.profiles import PROFILES
from minbert_lab.regularizers import (
    TASK_KINDS,
    BregmanProximalPoint,
    StepOutputs,
    make_regularizer,
)
from minbert_lab.training.distill import TeacherTargets
from minbert_lab.training.distributed import World, wrap


@dataclass
class Trainee:
    """A resolved config's model, data, losses and regularizers, ready to train.

    ``regularizers[task]`` lists what is added to the task's loss, each called the same way
    (``penalty(StepOutputs)``): the task's own (L2 or SMART) and SMART's Bregman term, which
    ``bregman`` also holds because its teacher is updated after every optimizer step.
    """

    config: RunConfig
    model: MultitaskModel
    train: dict[str, TaskSplit]
    dev: dict[str, TaskSplit]
    losses: dict
    regularizers: dict[str, list]
    bregman: BregmanProximalPoint | None = None
    world: World = field(default_factory=World)
    step_model: nn.Module | None = None  # what a step calls: DDP around ``model``, or ``model``
    # task -> its single-task teacher (``RunConfig.distill``; ``training.distill``)
    teachers: dict[str, TeacherTargets] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.step_model is None:
            self.step_model = self.model

    @property
    def forms(self) -> dict[str, str]:
        """Each task's batch form: ``"single"``, ``"cross"`` or ``"siamese"``."""
        return {task: self.model.input_form(task) for task in self.config.tasks}

    def loss(self, task: str, batch: Batch, step: int = 0) -> torch.Tensor:
        """``task_weight * loss(outputs, targets)`` plus every regularizer of ``task``; the
        targets are the labels, or for a distilled task the labels mixed with its teacher's
        outputs as at optimizer step ``step``.

        The training step calls this once per task batch; it is also the seam tests use to
        inject faults into a step.
        """
        norm = None
        if self.world.distributed and any(r.needs_parameter_norm
                                          for r in self.regularizers[task]):
            outputs, embeddings, norm = self.step_model(batch, with_parameter_norm=True)
        else:
            outputs, embeddings = self.step_model(batch, with_embeddings=True)
        targets = (self.teachers[task].targets(batch.labels, batch.ids, step)
                   if task in self.teachers else batch.labels)
        loss = self.config.tasks[task].task_weight * self.losses[task](outputs, targets)
        step = StepOutputs(self.model, batch, embeddings, outputs, norm)
        for regularizer in self.regularizers[task]:
            loss = loss + regularizer.penalty(step)
        return loss


def build(config: RunConfig, data_dir: Path | str = DATA_DIR,
          device: torch.device | str = "cpu", world: World | None = None) -> Trainee:
    """Loads data and checkpoint and assembles the model for a resolved config.

    Every rank of a distributed run builds the same model (same seed); then each rank but the
    first reseeds, so that dropout draws other masks on every rank.
    """
    world = world or World()
    profile = PROFILES[config.profile]
    train = {t: load_split(t, "train", checkpoint=config.checkpoint,
                           limit=profile.train_examples, data_dir=data_dir) for t in config.tasks}
    dev = {t: load_split(t, "dev", checkpoint=config.checkpoint,
                         limit=profile.dev_examples, data_dir=data_dir) for t in config.tasks}
    torch.manual_seed(config.seed)
    encoder = MinBert.from_pretrained(config.checkpoint, add_pooler=False)
    model = MultitaskModel.from_config(encoder, config).to(device)
    bregman = (BregmanProximalPoint(model, weight=config.bregman_weight)
               if config.bregman_weight else None)
    losses, regularizers = {}, {}
    for task, tc in config.tasks.items():
        losses[task] = make_loss(task, tc.loss, class_counts=class_counts(train[task]),
                                 label_smoothing=tc.label_smoothing).to(device)
        own = make_regularizer(tc.regularizer, tc.reg_weight, task_kind=TASK_KINDS[task])
        regularizers[task] = [r for r in (own, bregman) if r is not None]
    if world.rank:
        torch.manual_seed(config.seed * 1_000_003 + world.rank)
    return Trainee(config, model, train, dev, losses, regularizers, bregman, world,
                   wrap(model, world, torch.device(device)))


def class_counts(data: TaskSplit) -> list[int] | None:
    """Training examples per class of a classification task (``None`` for STS)."""
    if data.task not in NUM_CLASSES:
        return None
    return torch.bincount(data.labels.long(), minlength=NUM_CLASSES[data.task]).tolist()
