"""What a run trains (``training/trainee.py``): ``build`` assembles model, data, losses and
regularizers from a config, and ``Trainee.loss`` is the weighted loss plus every regularizer."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from smoke_configs import SST_SMOKE, THREE_TASKS

from minbert_lab.data.collate import make_batches
from minbert_lab.encoder.parameter_norm import parameter_norm
from minbert_lab.regularizers import BregmanProximalPoint, L2Penalty
from minbert_lab.training.trainee import build, class_counts


def test_class_counts_are_per_class_and_none_for_a_score():
    sst = SimpleNamespace(task="sst", labels=torch.tensor([0, 0, 4, 2]))
    assert class_counts(sst) == [2, 0, 1, 0, 1]  # all five classes, the empty ones too
    para = SimpleNamespace(task="para", labels=torch.tensor([1.0, 1.0, 0.0]))
    assert class_counts(para) == [1, 2]
    assert class_counts(SimpleNamespace(task="sts", labels=torch.tensor([2.5]))) is None


def test_build_gives_each_task_its_data_form_loss_and_regularizers(data_dir: Path):
    tasks = {"sst": dataclasses.replace(THREE_TASKS["sst"], regularizer="l2", reg_weight=0.01),
             "sts": THREE_TASKS["sts"]}
    config = dataclasses.replace(SST_SMOKE, tasks=tasks, bregman_weight=0.5).resolved()
    trainee = build(config, data_dir)
    assert trainee.forms == {"sst": "single", "sts": "siamese"}
    assert {t: (len(trainee.train[t]), len(trainee.dev[t])) for t in tasks} == {
        "sst": (32, 32), "sts": (32, 32)}  # the smoke profile's subsets
    assert isinstance(trainee.bregman, BregmanProximalPoint)
    (l2, bregman) = trainee.regularizers["sst"]
    assert isinstance(l2, L2Penalty) and l2.weight == 0.01 and bregman is trainee.bregman
    assert trainee.regularizers["sts"] == [trainee.bregman]  # the teacher serves every task
    assert trainee.step_model is trainee.model  # one process: no DDP wrapper


def test_loss_is_the_task_weight_times_the_loss_plus_the_regularizers(data_dir: Path):
    task = dataclasses.replace(THREE_TASKS["sst"], regularizer="l2", reg_weight=0.01,
                               task_weight=2.0)
    trainee = build(dataclasses.replace(SST_SMOKE, tasks={"sst": task}).resolved(), data_dir)
    trainee.model.eval()  # no dropout: both sides see the same outputs
    batch = make_batches(trainee.train["sst"], "single", batch_size=8, max_length=32)[0]
    with torch.no_grad():
        loss = trainee.loss("sst", batch)
        expected = (2.0 * trainee.losses["sst"](trainee.model(batch), batch.labels)
                    + 0.01 * parameter_norm(trainee.model))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
