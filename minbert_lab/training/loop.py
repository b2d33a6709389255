"""One training loop for every strategy: single-task or multitask, any heads, losses,
regularizers and batch ordering. ``train`` reads as the recipe; each step lives in its own
module: ``trainee`` (what is trained), ``step`` (one optimizer step), ``evaluation``,
``resume`` (saving and resuming), ``record`` (the result)."""

from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from minbert_lab.config import RunConfig
from minbert_lab.data.collate import make_batches
from minbert_lab.data.splits import DATA_DIR, load_manifest
from minbert_lab.training.conflict_probe import ConflictProbe, probe_batches, probe_steps
from minbert_lab.training.distill import TeacherTargets
from minbert_lab.training.distributed import World, barrier, current_world, device_for, start
from minbert_lab.training.evaluation import evaluate, train_outputs
from minbert_lab.training.interrupt import StopRequests, TrainingInterrupted
from minbert_lab.training.optim import lr_factor, make_optimizer, set_lr
from minbert_lab.training.ordering import make_task_order, step_tasks
from minbert_lab.training.precision import autocast, warn_if_slow_bf16
from minbert_lab.training.record import result_record
from minbert_lab.training.resume import ResumeFile, RunProgress
from minbert_lab.training.sampling import resample
from minbert_lab.training.saved_model import best_state, save_model
from minbert_lab.training.step import train_step
from minbert_lab.training.surgery import StepGradients
from minbert_lab.training.task_batches import CyclingBatches
from minbert_lab.training.trainee import Trainee, build


@dataclass
class Training:
    """The moving parts of one run, shared by its epochs (built by :func:`train`)."""

    trainee: Trainee
    optimizer: torch.optim.Optimizer
    gradients: StepGradients
    schedule: list[list[tuple[str, ...]]]  # per epoch, the tasks of each optimizer step
    probe: ConflictProbe | None
    resume: ResumeFile | None
    device: torch.device
    progress: bool
    stop: StopRequests
    pad_to: int | None = None
    keep_best: bool = False  # keep a copy of the best epoch's weights (to save the model)
    best_weights: dict | None = None

    @property
    def world(self) -> World:
        return self.trainee.world

    def save(self, run: RunProgress, **where) -> None:
        """Saves the resume state (rank 0 only), with PCGrad's RNG and the probe's records."""
        if self.resume is None or not self.world.main:
            return
        run.surgery_rng = list(self.gradients.rng.getstate())
        run.conflict = list(self.probe.records) if self.probe is not None else []
        self.resume.save(run, **where)

    def restore(self, run: RunProgress) -> None:
        """Puts PCGrad's RNG and the probe's records back after a resume; gives the other
        ranks their own dropout stream again (the state saved is rank 0's)."""
        if run.surgery_rng is not None:
            version, state, gauss = run.surgery_rng
            self.gradients.rng.setstate((version, tuple(state), gauss))
        if self.probe is not None:
            self.probe.records = list(run.conflict)
        if self.world.rank:
            torch.manual_seed(self.trainee.config.seed * 1_000_003 + self.world.rank
                              + 7_919 * run.step)


def train(config: RunConfig, *, data_dir: Path | str = DATA_DIR, device: str | None = None,
          progress: bool = True, resume_path: Path | str | None = None,
          resume_every: int | None = None, pad_to: int | None = None,
          model_dir: Path | str | None = None, model_key: str | None = None,
          teachers: dict[str, dict] | None = None) -> dict:
    """Fine-tunes per ``config`` and evaluates on dev after every epoch.

    Under ``torchrun`` the run is data-parallel over the ranks (``training.distributed``);
    every rank returns, but only rank 0's record holds dev metrics, and only rank 0 writes.

    Args:
        resume_path: where to keep the run's resume state (``None``: none). If the file holds
            one of this config's, training continues from it, to the same result.
        resume_every: steps between saves; ``None``: every few minutes (see
            ``resume.RESUME_SECONDS``). Every epoch but the last ends with one too.
        pad_to: pad every training batch to this length (the benchmarks' baseline; a speed
            knob outside the config, so a run trained with it is not cached).
        model_dir: save the best epoch's model there (``training.saved_model``: weights,
            config, tokenizer); ``model_key`` is recorded with it (the run's cache key).
        teachers: for ``config.distill``, each distilled task's teacher outputs on its
            training set (``ids``, ``outputs``: a stored run's ``train_outputs[task]``).

    Returns:
        The result record (``training.record.result_record``).

    Raises:
        TrainingDivergedError: a loss, a gradient or the dev outputs became NaN or infinite
            (step, task and batch named; the weights are not updated with it).
    """
    config = config.resolved()
    resume = (ResumeFile(resume_path, config, every=resume_every)
              if resume_path is not None else None)
    world = current_world()
    device = device_for(world, device)
    start(world, device)
    warn_if_slow_bf16(device, config.precision)
    trainee = build(config, data_dir, device, world)
    optimizer = make_optimizer(trainee.model, config)
    schedule = epoch_schedule(trainee)
    attach_teachers(trainee, teachers or {}, sum(map(len, schedule)), load_manifest(data_dir))
    gradients = StepGradients([p for _, p in trainee.model.shared_parameters()],
                              config.gradient_surgery, seed=config.seed)
    probe = conflict_probe(trainee, sum(map(len, schedule)), device)
    with StopRequests(world, device) as stop:
        training = Training(trainee, optimizer, gradients, schedule, probe, resume, device,
                            progress and world.main, stop, pad_to,
                            keep_best=model_dir is not None)
        teacher = trainee.bregman.teacher if trainee.bregman is not None else None
        run = resume.start(trainee.model, optimizer, teacher) if resume else RunProgress()
        if run.resumed_at_steps:
            training.restore(run)
            if world.main:
                print(f"resuming at step {run.step}/{sum(map(len, schedule))} from the resume "
                      f"state {resume.path}", file=sys.stderr, flush=True)
        for epoch in range(run.epoch, config.epochs):
            train_epoch(training, run, epoch)
            evaluate_epoch(training, run, epoch)
            if epoch + 1 < config.epochs:
                training.save(run, epoch=epoch + 1)
                stop_if_asked(training, run)
    if stop.signal_name and world.main:  # it came during the last step or evaluation
        print(f"{stop.signal_name} came as the run ended: it finished, and its result is kept",
              file=sys.stderr, flush=True)
    if probe is not None:
        probe.at(run.step)  # the end of training
    if model_dir is not None and world.main:
        keep_model(training, run, model_dir, model_key)
    teacher_outputs = (train_outputs(trainee, device, load_manifest(data_dir))
                       if config.train_outputs and world.main else None)
    return result_record(trainee, run, data_dir=data_dir, device=device,
                         conflict=probe.records if probe is not None else None,
                         train_outputs=teacher_outputs)


def attach_teachers(trainee: Trainee, teachers: dict[str, dict], total_steps: int,
                    manifest: dict) -> None:
    """Gives each task ``config.distill`` names its teacher (``training.distill``).

    Raises:
        ValueError: a distilled task without a teacher, or a teacher trained on other data
            (another prepared split, or another number of examples).
    """
    config = trainee.config
    tasks = [] if config.distill == "none" else (
        list(config.tasks) if config.distill == "all" else [config.distill])
    for task in tasks:
        if task not in teachers:
            raise ValueError(f"distill={config.distill!r} needs a teacher for {task}: the "
                             "single-task run's outputs on its training set")
        stored, data = teachers[task], trainee.train[task]
        split = manifest["splits"][f"{task}-train"]["sha256"]
        if stored["split_sha256"] != split or stored["examples"] != len(data):
            raise ValueError(f"the {task} teacher was trained on other data ({stored['examples']}"
                             f" examples of split {stored['split_sha256'][:12]}…, not "
                             f"{len(data)} of {split[:12]}…)")
        trainee.teachers[task] = TeacherTargets(task, data.frame["id"].tolist(),
                                                stored["outputs"], total_steps)


def train_epoch(training: Training, run: RunProgress, epoch: int) -> None:
    """Trains epoch ``epoch`` (from where a resumed run stopped), recording each step."""
    trainee, config = training.trainee, training.trainee.config
    sources = {t: task_stream(trainee, t, epoch, training.pad_to) for t in config.tasks}
    done = run.fast_forward(sources) if epoch == run.epoch else 0  # > 0 only on resume
    order, total_steps = training.schedule[epoch], sum(map(len, training.schedule))
    trainee.model.train()
    started, cpu_started = time.perf_counter(), time.process_time()
    bar = tqdm(order[done:], initial=done, total=len(order), disable=not training.progress,
               desc=f"epoch {epoch + 1}/{config.epochs}", leave=False, unit="batch")
    for position, tasks in enumerate(bar, start=done + 1):
        if training.probe is not None:
            training.probe.at(run.step)
        set_lr(training.optimizer, lr_factor(run.step, total_steps, config))
        losses, projected, examples = train_step(
            trainee, training.optimizer, training.gradients, tasks, sources,
            device=training.device, step=run.step, epoch=epoch)
        run.examples += examples
        for task, value in losses.items():
            surgery = {"projected": projected[task]} if task in projected else {}
            run.steps.append({"step": run.step, "epoch": epoch, "task": task, "loss": value,
                              **surgery})
        run.step += 1
        bar.set_postfix(task="+".join(tasks), loss=f"{sum(losses.values()):.3f}")
        asked = position < len(order) and training.stop.requested()
        if position < len(order) and training.resume and (asked or training.resume.due(run.step)):
            training.save(run, epoch=epoch, position=position, sources=sources,
                          seconds=time.perf_counter() - started,
                          cpu_seconds=time.process_time() - cpu_started)
        if asked:
            bar.close()
            stop_if_asked(training, run)
    run.train_seconds += time.perf_counter() - started
    run.train_cpu_seconds += time.process_time() - cpu_started


def stop_if_asked(training: Training, run: RunProgress) -> None:
    """Raises ``TrainingInterrupted`` when a signal asked to stop (the caller saved the resume
    state first)."""
    if (name := training.stop.requested()) is not None:
        raise TrainingInterrupted(name, run.step, sum(map(len, training.schedule)),
                                  saved=training.resume is not None)


def evaluate_epoch(training: Training, run: RunProgress, epoch: int) -> None:
    """Evaluates on dev (rank 0), records the epoch, keeps it if it is the best so far."""
    trainee = training.trainee
    if trainee.world.main:
        started = time.perf_counter()
        metrics, predictions = evaluate(trainee, training.device)
        run.eval_seconds += time.perf_counter() - started
        run.epochs.append({"epoch": epoch, **metrics})
        if training.progress:
            shown = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items())
            tqdm.write(f"epoch {epoch + 1}/{trainee.config.epochs}: {shown}", file=sys.stderr)
        if metrics["score"] > run.best["score"]:
            run.best = {**metrics, "epoch": epoch}
            run.best_predictions = predictions
            if training.keep_best:
                training.best_weights = best_state(trainee.model)
    barrier(trainee.world)


def keep_model(training: Training, run: RunProgress, model_dir: Path | str,
               key: str | None) -> None:
    """Saves the best epoch's weights, or warns when this process never saw them."""
    if training.best_weights is None:  # the best epoch ran before a resume, in another process
        warnings.warn(f"the model was not saved to {model_dir}: its best epoch "
                      f"({run.best['epoch'] + 1}) was trained before this run was resumed, and "
                      "its weights were not kept; ask for the model again: the run then trains "
                      "from the start (its resume state is gone once its result is stored)",
                      stacklevel=3)
        return
    save_model(model_dir, training.best_weights, training.trainee.config, metrics=run.best,
               key=key)


def epoch_schedule(trainee: Trainee) -> list[list[tuple[str, ...]]]:
    """Per epoch, the tasks each optimizer step trains (one, or a batch of every task)."""
    config = trainee.config
    n_batches = {t: math.ceil(len(trainee.train[t]) / config.batch_size) for t in config.tasks}
    ordering = make_task_order(config.ordering.name, n_batches, seed=config.seed,
                               task=config.ordering.task, weight=config.ordering.weight,
                               temperature=config.ordering.temperature)
    return [step_tasks(ordering, e, config.tasks_per_step) for e in range(config.epochs)]


def task_stream(trainee: Trainee, task: str, epoch: int,
                pad_to: int | None = None) -> CyclingBatches:
    """``task``'s batches for ``epoch``: each pass resampled and reshuffled with its own seed."""
    config = trainee.config

    def one_pass(pass_index: int):
        seed = config.seed * 1_000_003 + epoch * 1_009 + pass_index
        data = resample(trainee.train[task], config.tasks[task].sampler, seed=seed)
        return make_batches(data, trainee.forms[task], batch_size=config.batch_size,
                            max_length=config.max_length, seed=seed,
                            bucket=config.bucket_by_length, pad_to=pad_to)
    return CyclingBatches(one_pass)


def conflict_probe(trainee: Trainee, total_steps: int,
                   device: torch.device) -> ConflictProbe | None:
    """The run's gradient-conflict probe, or ``None`` when ``config.conflict_probes`` is 0."""
    config = trainee.config
    if not config.conflict_probes:
        return None
    batches = probe_batches(trainee.train, trainee.forms, batch_size=config.batch_size,
                            max_length=config.max_length, seed=config.seed)

    def task_loss(task: str, batch) -> torch.Tensor:
        with autocast(device, config.precision):
            return trainee.losses[task](trainee.model(batch), batch.labels)

    return ConflictProbe(trainee.model, {t: b.to(device) for t, b in batches.items()}, task_loss,
                         steps=probe_steps(total_steps, config.conflict_probes),
                         total_steps=total_steps)
