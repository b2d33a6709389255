"""The GPU path, tested without a GPU: every tensor the training code makes goes where the model
is. Under ``torch.device("meta")`` a tensor made without ``device=`` lands on the meta device
while the model and its batches stay on the CPU, so the first operation mixing the two fails
loudly: on a GPU the same line would have put a tensor on the CPU beside a CUDA model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.data.collate import make_batches
from minbert_lab.predict import predict
from minbert_lab.training.evaluation import evaluate
from minbert_lab.training.loop import train
from minbert_lab.training.optim import make_optimizer
from minbert_lab.training.saved_model import load_model
from minbert_lab.training.step import train_step
from minbert_lab.training.surgery import StepGradients
from minbert_lab.training.task_batches import CyclingBatches
from minbert_lab.training.trainee import build

CPU = torch.device("cpu")
# Every head family, both regularizers, SMART's Bregman teacher, PCGrad over all tasks.
EVERYTHING = RunConfig(
    tasks={"sst": TaskConfig("linear", "cross_entropy", "smart", 1.0),
           "para": TaskConfig("cross_encoder", "bce", "l2", 0.01),
           "sts": TaskConfig("cross_encoder_cosine", "mse")},
    profile="smoke", max_length=16, bregman_weight=0.5, ordering="round_robin",
    tasks_per_step="all", gradient_surgery="pcgrad", conflict_probes=2)
SIAMESE = dataclasses.replace(EVERYTHING, tasks={
    "para": TaskConfig("siamese_concat_diff", "mnr"),
    "sts": TaskConfig("siamese_cosine", "cosine_embedding")}, bregman_weight=0.0,
    tasks_per_step="one", gradient_surgery="none", conflict_probes=0, ordering="shuffled")


def _step_and_evaluate(config: RunConfig, data_dir: Path) -> None:
    trainee = build(config.resolved(), data_dir)
    trainee.model.train()  # dropout draws its masks too
    optimizer = make_optimizer(trainee.model, trainee.config)
    gradients = StepGradients([p for _, p in trainee.model.shared_parameters()],
                              trainee.config.gradient_surgery)
    batches = {t: list(make_batches(trainee.train[t], trainee.forms[t], batch_size=8,
                                    max_length=16, seed=0)) for t in trainee.config.tasks}
    sources = {t: CyclingBatches(lambda k, t=t: iter(batches[t])) for t in batches}
    with torch.device("meta"):
        for step in range(2):
            losses, _, _ = train_step(trainee, optimizer, gradients, list(trainee.config.tasks)
                                      if config.tasks_per_step == "all" else ["para"],
                                      sources, device=CPU, step=step, epoch=0)
            assert all(torch.isfinite(torch.tensor(v, device=CPU)) for v in losses.values())
        metrics, _ = evaluate(trainee, CPU)
    assert 0 <= metrics["score"] <= 1


def test_a_step_and_an_evaluation_make_no_tensor_off_the_model_device(data_dir: Path) -> None:
    _step_and_evaluate(EVERYTHING, data_dir)
    _step_and_evaluate(SIAMESE, data_dir)


def test_training_with_resume_and_predict_make_no_tensor_off_the_model_device(
        data_dir: Path, tmp_path: Path) -> None:
    config = dataclasses.replace(EVERYTHING, epochs=2)
    with torch.device("meta"):
        first = train(config, data_dir=data_dir, progress=False,
                      resume_path=tmp_path / "run.resume", resume_every=2,
                      model_dir=tmp_path / "model", model_key="k")
        resumed = train(config, data_dir=data_dir, progress=False,
                        resume_path=tmp_path / "run.resume", resume_every=2)
        written = predict(tmp_path / "model", tmp_path / "predictions", data_dir=data_dir,
                          log=lambda line: None)
        saved = load_model(tmp_path / "model")
    assert first["metrics"]["score"] > 0 and resumed["metrics"]["score"] > 0
    assert written["sst-dev-output.csv"] is not None
    assert next(saved.model.parameters()).device == CPU
