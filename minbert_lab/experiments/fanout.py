"""Fan a set of configs out over submitit jobs: one job is one ``run_or_load(config)``.

Without an executor a grid runs one config after another in this process. With one,
``fan_out`` submits every config the run cache lacks as its own submitit job — a process on
this machine (``cluster="local"``) or a task of a Slurm job array — and waits for them. Each
job trains its config into the run cache (absolute paths; the cache's lock and atomic writes
keep concurrent writers safe) and sends back only a small summary: the caller then reads every
result from the cache exactly as a serial run would, so a notebook opened after a fan-out only
loads.

A config already stored (run cache or committed results) is not submitted, so running a grid
again after a failure trains only what is missing. A failed job does not stop the others: their
results are stored, and ``fan_out`` then raises ``FanOutError`` naming each failed config and
its job's log.

Example:
    >>> jobs = make_executor("local", "runs/submitit", workers=2, cpus_per_job=1)
    >>> frame = run_grid("4", profile="quick", executor=jobs)  # 2 processes x 1 thread
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import submitit
import torch
from tqdm.auto import tqdm

from minbert_lab.config import RunConfig
from minbert_lab.data.splits import DATA_DIR
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.committed import RESULTS_DIR
from minbert_lab.experiments.store import RUNS_DIR, RunStore

EXECUTORS = ("local", "slurm")
SLURM_CPUS_PER_JOB = 4  # a job's data loading and evaluation run on its CPUs, beside the GPU
TIMEOUT_MIN = 12 * 60  # submitit's local default is 2 minutes: far too short for a run


@dataclass(frozen=True)
class FanOut:
    """A submitit executor, and how many of its jobs run at once.

    submitit's local executor starts every job it is handed at once, so for it ``fan_out``
    hands over ``workers`` jobs at a time (the next ones when those are done). A Slurm
    executor limits itself (its array parallelism, which ``make_executor`` sets), so its
    ``workers`` is ``None``: the whole array is submitted at once.
    """

    executor: submitit.Executor
    workers: int | None = None


# What ``fan_out`` and the functions that pass it on take as ``executor``.
Executor = FanOut | submitit.Executor


class FanOutError(RuntimeError):
    """Jobs of a fan-out failed. ``failures``: label -> the job's log (its stderr file)."""

    def __init__(self, failures: Mapping[str, tuple[Path, str]], submitted: int):
        self.failures = {label: log for label, (log, _) in failures.items()}
        lines = [f"{len(failures)} of {submitted} jobs failed; the other results are stored, "
                 "and running again trains only what is missing:"]
        lines += [f"  {label}: {reason}\n    log: {log}"
                  for label, (log, reason) in failures.items()]
        super().__init__("\n".join(lines))


def make_executor(kind: str, folder: Path | str, *, workers: int = 2,
                  cpus_per_job: int | None = None, gpus_per_job: int | None = None,
                  timeout_min: int = TIMEOUT_MIN, partition: str | None = None) -> FanOut:
    """A submitit executor for ``fan_out``: processes on this machine, or a Slurm job array.

    Args:
        kind: ``"local"`` or ``"slurm"``.
        folder: where submitit keeps each job's pickles and logs. On a cluster it must be on a
            file system every node sees, like the data, the run cache and ``results/``.
        workers: jobs at once (local: processes; Slurm: the array's parallelism).
        cpus_per_job: CPU cores, and torch threads, of each job (default: local, this
            machine's cores shared among the workers; Slurm, ``SLURM_CPUS_PER_JOB``).
        gpus_per_job: 0 or 1; a run trains on one device. Default: 1 on Slurm; locally 1 where
            this machine has GPUs (each job takes one of them in turn), else 0.
        timeout_min: a job still running then is stopped; running the grid again resumes it
            from its resume state.
        partition: the Slurm partition (default: the cluster's).

    Raises:
        ValueError: an unknown kind, or a count out of range.
    """
    if kind not in EXECUTORS:
        raise ValueError(f"executor={kind!r} is not valid; choose one of {list(EXECUTORS)}")
    local = kind == "local"
    _whole("workers", workers)
    if cpus_per_job is None:
        cpus_per_job = max(1, (os.cpu_count() or 1) // workers) if local else SLURM_CPUS_PER_JOB
    _whole("cpus_per_job", cpus_per_job)
    _whole("timeout_min", timeout_min)
    if gpus_per_job is None:
        gpus_per_job = int(torch.cuda.is_available()) if local else 1
    if gpus_per_job not in (0, 1) or isinstance(gpus_per_job, bool):
        raise ValueError(f"gpus_per_job={gpus_per_job!r} is not valid; choose 0 or 1 (a run "
                         "trains on one device)")
    # Locally every job sees all the GPUs and ``fan_out`` gives each its own, in turn;
    # ``gpus_per_node=1`` would show every job GPU 0.
    gpus = torch.cuda.device_count() if local and gpus_per_job else gpus_per_job
    if local and gpus_per_job and not gpus:
        raise ValueError("gpus_per_job=1 is not valid here: this machine has no GPU; give 0")
    executor = submitit.AutoExecutor(folder=Path(folder).resolve(), cluster=kind)
    executor.update_parameters(name="minbert", timeout_min=timeout_min,
                               cpus_per_task=cpus_per_job, gpus_per_node=gpus,
                               slurm_partition=partition, slurm_array_parallelism=workers)
    return FanOut(executor, workers=workers if local else None)


def fan_out(configs: Mapping[str, RunConfig], executor: Executor | None, *,
            data_dir: Path | str = DATA_DIR, runs_dir: Path | str = RUNS_DIR,
            results_dir: Path | str = RESULTS_DIR, device: str | None = None,
            progress: bool = True) -> list[str]:
    """Trains every config the cache lacks, one submitit job each, and waits for them.

    Args:
        configs: label -> config; the label names a failed job. A config listed twice is
            submitted once.
        executor: a ``FanOut`` (``make_executor``) or any submitit executor (whose jobs then
            all start at once); ``None`` does nothing: the caller trains in this process.
        device: every job's device (default: a local job takes one of this machine's GPUs in
            turn where the executor shows it GPUs; a Slurm job, its own GPU if it has one).

    Returns:
        The labels of the configs submitted (none when every result is stored).

    Raises:
        FanOutError: some jobs failed (after all jobs ended; the others' results are stored).
    """
    if executor is None:
        return []
    jobs = executor if isinstance(executor, FanOut) else FanOut(executor)
    paths = {"data_dir": Path(data_dir).resolve(), "runs_dir": Path(runs_dir).resolve(),
             "results_dir": Path(results_dir).resolve()}
    todo = RunStore(**paths).missing(configs)
    if not todo:
        return []
    labels = list(todo)
    devices = [device] if device else _local_gpus(jobs.executor)
    job_fn = partial(train_one, threads=jobs.executor.parameters.get("cpus_per_task"), **paths)
    wave = jobs.workers or len(labels)
    failures: dict[str, tuple[Path, str]] = {}
    bar = tqdm(total=len(labels), desc="jobs", disable=not progress, unit="job")
    for start in range(0, len(labels), wave):
        batch = labels[start:start + wave]
        slots = [devices[i % len(devices)] if devices else None for i in range(len(batch))]
        submitted = jobs.executor.map_array(job_fn, batch, [todo[b] for b in batch], slots)
        try:
            for label, job in zip(batch, submitted):
                # ``exception`` waits for the job; unlike ``result`` it never raises.
                if (error := job.exception()) is not None:
                    failures[label] = (Path(job.paths.stderr), _reason(error))
                bar.update()
        except KeyboardInterrupt:  # stop the jobs too; a rerun resumes them
            for job in submitted:
                job.cancel(check=False)
            raise
    bar.close()
    if failures:
        raise FanOutError(failures, len(labels))
    return labels


def train_one(label: str, config: RunConfig, device: str | None, *, data_dir: Path,
              runs_dir: Path, results_dir: Path, threads: int | None) -> dict:
    """One job: ``run_or_load(config)`` into the cache, on ``threads`` torch threads.

    Returns a summary only; the caller reads the whole result from the cache.
    """
    if threads:
        torch.set_num_threads(threads)
    print(f"{label}: {json.dumps(config.to_dict())}", file=sys.stderr, flush=True)
    result = run_or_load(config, data_dir=data_dir, runs_dir=runs_dir, results_dir=results_dir,
                         device=device, progress=False)
    return {"label": label, "cached": result["cached"], "metrics": result["metrics"]}


def _whole(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} is not valid; give an integer >= 1")


def _local_gpus(executor: submitit.Executor) -> list[str]:
    """The GPUs a local executor shows its jobs (``fan_out`` spreads the jobs over them)."""
    local = (getattr(executor, "cluster", None) == "local"
             or isinstance(executor, submitit.LocalExecutor))
    if not local:
        return []
    return [f"cuda:{i}" for i in range(executor.parameters.get("gpus_per_node", 0))]


def _reason(error: BaseException) -> str:
    """One line on why a job failed: its traceback's last line (``ValueError: ...``)."""
    text = str(error)
    # submitit's FailedJobError holds the job's traceback between two rules of dashes.
    parts = text.split("-" * 22)
    trace = [line.strip() for line in parts[1].splitlines() if line.strip()] if len(parts) > 2 \
        else []
    if trace:
        return trace[-1]
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__
