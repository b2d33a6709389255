"""One training loop for every strategy: single-task or multitask, any heads, losses,
regularizers and batch ordering. Returns a plain-JSON result (see :func:`train`)."""

from __future__ import annotations

import contextlib
import math
import platform
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

import minbert_lab
from minbert_lab.config import PROFILES, RunConfig
from minbert_lab.data.batching import count_truncated, make_batches
from minbert_lab.data.splits import DATA_DIR, TaskSplit, load_manifest, load_split, split_note
from minbert_lab.losses import make_loss
from minbert_lab.model import MinBert
from minbert_lab.multitask_model import MultitaskModel
from minbert_lab.regularizers import (
    TASK_KINDS,
    BregmanProximalPoint,
    L2Penalty,
    SmartRegularizer,
    make_regularizer,
)
from minbert_lab.training.checkpointing import Checkpointer, RunProgress
from minbert_lab.training.conflict import ConflictProbe, probe_batches, probe_steps
from minbert_lab.training.metrics import METRIC_OF, composite, task_metric
from minbert_lab.training.ordering import make_task_order, step_tasks
from minbert_lab.training.sampling import resample
from minbert_lab.training.surgery import StepGradients
from minbert_lab.training.task_batches import CyclingBatches


class TrainingDivergedError(RuntimeError):
    """The loss, a gradient or the model's outputs became NaN or infinite."""


@dataclass
class Trainee:
    """What a run trains: the model, and per task its data, loss and regularizer."""

    config: RunConfig
    model: MultitaskModel
    train: dict[str, TaskSplit]
    dev: dict[str, TaskSplit]
    losses: dict
    regularizers: dict
    bregman: BregmanProximalPoint | None = None


def build(config: RunConfig, data_dir: Path | str = DATA_DIR,
          device: torch.device | str = "cpu") -> Trainee:
    """Loads data and checkpoint and assembles the model for a resolved config."""
    profile = PROFILES[config.profile]
    train = {t: load_split(t, "train", checkpoint=config.checkpoint,
                           limit=profile.train_examples, data_dir=data_dir) for t in config.tasks}
    dev = {t: load_split(t, "dev", checkpoint=config.checkpoint,
                         limit=profile.dev_examples, data_dir=data_dir) for t in config.tasks}
    torch.manual_seed(config.seed)
    encoder = MinBert.from_pretrained(config.checkpoint, add_pooler=False)
    model = MultitaskModel.from_config(encoder, config).to(device)
    losses, regularizers = {}, {}
    for task, tc in config.tasks.items():
        counts = torch.bincount(train[task].labels, minlength=5).tolist() if task == "sst" else None
        losses[task] = make_loss(task, tc.loss, class_counts=counts).to(device)
        regularizers[task] = make_regularizer(tc.regularizer, tc.reg_weight,
                                              task_kind=TASK_KINDS[task])
    bregman = None
    if config.bregman_weight:
        bregman = BregmanProximalPoint(model, weight=config.bregman_weight)
    return Trainee(config, model, train, dev, losses, regularizers, bregman)


def make_optimizer(model: torch.nn.Module, config: RunConfig) -> torch.optim.Optimizer:
    """AdamW, fused where this build and device support it (one kernel for all parameters)."""
    params = [p for p in model.parameters() if p.requires_grad]
    try:
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)


def train(config: RunConfig, *, data_dir: Path | str = DATA_DIR, device: str | None = None,
          progress: bool = True, checkpoint_path: Path | str | None = None,
          checkpoint_every: int | None = None) -> dict:
    """Fine-tunes per ``config`` and evaluates on dev after every epoch.

    Args:
        checkpoint_path: where to keep a training checkpoint (``None``: none). If the file
            holds one of this config's, training continues from it, to the same result. Runs
            with PCGrad or the conflict probe keep none (their extra state is not saved yet).
        checkpoint_every: steps between checkpoints; ``None``: every few minutes (see
            ``checkpointing.CHECKPOINT_SECONDS``). Every epoch but the last ends with one too.

    Returns:
        A JSON-ready dict: ``config``, ``metrics`` (best epoch by dev composite), ``history``
        (per-step training loss per task; per-epoch dev metrics), ``predictions`` (the best
        epoch's dev predictions, for error analysis), ``timings``, ``environment``, ``data``,
        ``resumed_at_steps`` (the steps a checkpoint was resumed at; empty for a run in one go).

    Raises:
        TrainingDivergedError: a loss or gradient became NaN or infinite (step, task and
            batch named; the weights are not updated with it), or the dev outputs did.
    """
    config = config.resolved()
    # PCGrad's task-order RNG and the conflict probe's records are not part of a checkpoint
    # yet, so such runs are not checkpointed: interrupted, they start again, never resume wrong.
    resumable = config.gradient_surgery == "none" and not config.conflict_probes
    checkpoints = (Checkpointer(checkpoint_path, config, every=checkpoint_every)
                   if checkpoint_path is not None and resumable else None)
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    warn_if_slow_bf16(device, config.precision)
    trainee = build(config, data_dir, device)
    model = trainee.model
    optimizer = make_optimizer(model, config)
    forms = {t: model.input_form(t) for t in config.tasks}

    def task_batches(task: str, epoch: int) -> CyclingBatches:
        def one_pass(pass_index: int):
            seed = config.seed * 1_000_003 + epoch * 1_009 + pass_index
            data = resample(trainee.train[task], config.tasks[task].sampler, seed=seed)
            return make_batches(data, forms[task], batch_size=config.batch_size,
                                max_length=config.max_length, seed=seed,
                                bucket=config.bucket_by_length, pad_to=config.pad_to)
        return CyclingBatches(one_pass)

    n_batches = {t: math.ceil(len(trainee.train[t]) / config.batch_size) for t in config.tasks}
    ordering = make_task_order(config.ordering, n_batches, seed=config.seed,
                               task=config.ordering_task, weight=config.ordering_weight,
                               temperature=config.ordering_temperature)
    schedule = [step_tasks(ordering, e, config.tasks_per_step) for e in range(config.epochs)]
    gradients = StepGradients([p for _, p in model.shared_parameters()],
                              config.gradient_surgery, seed=config.seed)
    probe = _conflict_probe(trainee, forms, config, sum(map(len, schedule)), device)
    teacher = trainee.bregman.teacher if trainee.bregman is not None else None
    run = checkpoints.start(model, optimizer, teacher) if checkpoints else RunProgress()
    for epoch in range(run.epoch, config.epochs):
        order = schedule[epoch]  # the tasks each step trains: one, or a batch of every task
        sources = {t: task_batches(t, epoch) for t in config.tasks}
        done = run.fast_forward(sources) if epoch == run.epoch else 0  # > 0 only on resume
        model.train()
        started = time.perf_counter()
        bar = tqdm(order[done:], initial=done, total=len(order), disable=not progress,
                   desc=f"epoch {epoch + 1}/{config.epochs}", leave=False, unit="batch")
        for position, tasks in enumerate(bar, start=done + 1):
            if probe is not None:
                probe.at(run.step)
            optimizer.zero_grad(set_to_none=True)
            losses = {}
            for task in tasks:
                batch = sources[task].next().to(device)
                with autocast(device, config.precision):
                    loss = training_loss(trainee, model, task, batch)
                if not torch.isfinite(loss):
                    raise diverged(f"loss became {loss.item()}", run.step, epoch, task, batch)
                gradients.backward(task, loss)
                losses[task] = loss.item()
                run.examples += batch.size
            projected = gradients.apply()
            if not clip_gradients(model, config.grad_clip):
                raise diverged(f"gradient of {nonfinite_gradient(model)} became non-finite",
                               run.step, epoch, "+".join(tasks), batch)
            optimizer.step()
            if trainee.bregman is not None:
                trainee.bregman.update()
            for task, value in losses.items():
                surgery = {"projected": projected[task]} if task in projected else {}
                run.steps.append({"step": run.step, "epoch": epoch, "task": task, "loss": value,
                                  **surgery})
            run.step += 1
            bar.set_postfix(task="+".join(tasks), loss=f"{sum(losses.values()):.3f}")
            if checkpoints and position < len(order) and checkpoints.due(run.step):
                checkpoints.save(run, epoch=epoch, position=position, sources=sources,
                                 seconds=time.perf_counter() - started)
        run.train_seconds += time.perf_counter() - started
        started = time.perf_counter()
        metrics, predictions = evaluate(trainee, model, forms, config, device)
        run.eval_seconds += time.perf_counter() - started
        run.epochs.append({"epoch": epoch, **metrics})
        if progress:
            shown = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items())
            tqdm.write(f"epoch {epoch + 1}/{config.epochs}: {shown}")
        if metrics["score"] > run.best["score"]:
            run.best = {**metrics, "epoch": epoch}
            run.best_predictions = predictions
        if checkpoints and epoch + 1 < config.epochs:
            checkpoints.save(run, epoch=epoch + 1)

    manifest = load_manifest(data_dir)
    history = {"steps": run.steps, "epochs": run.epochs}
    if probe is not None:
        probe.at(run.step)  # the end of training
        history["conflict"] = probe.records
    return {
        "config": config.to_dict(),
        "metrics": run.best,
        "history": history,
        "predictions": run.best_predictions,
        "timings": {
            "train_seconds": run.train_seconds,
            "eval_seconds": run.eval_seconds,
            "train_examples_per_second": (run.examples / run.train_seconds
                                          if run.train_seconds else None),
        },
        "model": {"parameters": sum(p.numel() for p in model.parameters())},
        "environment": {
            "minbert_lab": minbert_lab.__version__,
            "code_version": minbert_lab.code_version(),
            "torch": torch.__version__,
            "device": str(device),
            "threads": torch.get_num_threads(),
            "python": platform.python_version(),
        },
        "data": {
            "quora_split": manifest["quora_split"],
            "split_note": split_note(manifest),
            "train_examples": {t: len(d) for t, d in trainee.train.items()},
            "dev_examples": {t: len(d) for t, d in trainee.dev.items()},
            "truncated_train_examples": {t: count_truncated(d, forms[t], config.max_length)
                                         for t, d in trainee.train.items()},
        },
        "resumed_at_steps": run.resumed_at_steps,
    }


def diverged(what: str, step: int, epoch: int, task: str, batch) -> TrainingDivergedError:
    """The error that stops a run: what went non-finite, and where."""
    return TrainingDivergedError(
        f"{what} at step {step} (epoch {epoch + 1}, task {task}, batch ids {batch.ids[:3]}...);"
        " lower the learning rate or check the data"
    )


def clip_gradients(model: nn.Module, max_norm: float) -> bool:
    """Clips the gradients' total norm to ``max_norm`` (0: no clipping).

    Returns:
        False, leaving the gradients alone, when their norm is NaN or infinite: clipping would
        spread the NaN to every gradient, and one optimizer step would ruin every weight.
    """
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    norm = torch.nn.utils.get_total_norm(grads)
    if not torch.isfinite(norm):
        return False
    if max_norm:
        torch.nn.utils.clip_grads_with_norm_(model.parameters(), max_norm, norm)
    return True


def nonfinite_gradient(model: nn.Module) -> str:
    """The name of the first parameter whose gradient holds a NaN or infinity."""
    for name, p in model.named_parameters():
        if p.grad is not None and not torch.isfinite(p.grad).all():
            return name
    return "no parameter"  # only the norm overflowed: every gradient is finite but huge


def _conflict_probe(trainee: Trainee, forms: dict, config: RunConfig, total_steps: int,
                    device: torch.device) -> ConflictProbe | None:
    """The run's gradient-conflict probe, or ``None`` when ``config.conflict_probes`` is 0."""
    if not config.conflict_probes:
        return None
    batches = probe_batches(trainee.train, forms, batch_size=config.batch_size,
                            max_length=config.max_length, seed=config.seed)

    def task_loss(task: str, batch) -> torch.Tensor:
        with autocast(device, config.precision):
            return trainee.losses[task](trainee.model(batch), batch.labels)

    return ConflictProbe(trainee.model, {t: b.to(device) for t, b in batches.items()}, task_loss,
                         steps=probe_steps(total_steps, config.conflict_probes),
                         total_steps=total_steps)


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """bf16 autocast (matmuls in bf16; losses, reductions and the optimizer in fp32) when
    ``precision`` is ``"bf16"``; plain fp32, which parity is measured in, otherwise."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def warn_if_slow_bf16(device: torch.device, precision: str) -> None:
    """bf16 on a CPU without native support is emulated, and slower than fp32."""
    if precision == "bf16" and device.type == "cpu" and not _cpu_has_bf16():
        warnings.warn("this CPU has no native bf16 (AVX512-BF16 or AMX), so bf16 autocast"
                      " will be slower than fp32; pass precision='fp32' (--precision fp32)",
                      stacklevel=3)


def _cpu_has_bf16() -> bool:
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def training_loss(trainee: Trainee, model: MultitaskModel, task: str, batch) -> torch.Tensor:
    """``task_weight * loss`` plus the task's regularizer and the optional Bregman term."""
    embeddings = model.embed(batch)
    outputs = model.forward_from_embeddings(batch, embeddings)
    loss = trainee.config.tasks[task].task_weight * trainee.losses[task](outputs, batch.labels)
    reg = trainee.regularizers[task]
    if isinstance(reg, L2Penalty):
        loss = loss + reg(model)
    elif isinstance(reg, SmartRegularizer):
        def perturbed(e: torch.Tensor):
            return model.forward_from_embeddings(batch, e)
        loss = loss + reg(perturbed, embeddings, outputs)
    if trainee.bregman is not None:
        kind = "mse" if TASK_KINDS[task] == "regression" else "sym_kl"
        loss = loss + trainee.bregman(outputs, batch, kind=kind)
    return loss


@torch.inference_mode()
def evaluate(trainee: Trainee, model: MultitaskModel, forms: dict, config: RunConfig,
             device: torch.device) -> tuple[dict, dict]:
    """Dev metrics per task and the composite; plus per-example predictions."""
    model.eval()
    metrics, predictions = {}, {}
    eval_batch = PROFILES[config.profile].eval_batch_size
    for task, data in trainee.dev.items():
        preds, scores, ids = [], [], []
        for batch in make_batches(data, forms[task], batch_size=eval_batch,
                                  max_length=config.max_length, shuffle=False, bucket=True):
            batch = batch.to(device)
            with autocast(device, config.precision):
                outputs = model(batch)
            loss_fn = trainee.losses[task]
            preds.append(loss_fn.predict(outputs).float().cpu())
            scores.append(_confidence(outputs).float().cpu())
            ids += batch.ids
        pred = torch.cat(preds).numpy()
        order = {i: k for k, i in enumerate(ids)}
        index = np.array([order[i] for i in data.frame["id"]])
        pred, score = pred[index], torch.cat(scores).numpy()[index]
        if not np.isfinite(score).all():  # argmax of NaN logits would still give an accuracy
            raise TrainingDivergedError(f"the model's {task} dev outputs are not finite; the"
                                        " weights have diverged: lower the learning rate")
        labels = data.labels.numpy()
        metrics[METRIC_OF[task]] = task_metric(task, pred, labels)
        predictions[task] = {"ids": data.frame["id"].tolist(), "labels": labels.tolist(),
                             "predictions": pred.tolist(), "scores": score.tolist()}
    metrics["score"] = composite(metrics)
    return metrics, predictions


def _confidence(outputs) -> torch.Tensor:
    """A per-example score for error analysis: max class probability, or the raw pair score."""
    if isinstance(outputs, torch.Tensor):
        return outputs.softmax(-1).max(-1).values
    return outputs.score
