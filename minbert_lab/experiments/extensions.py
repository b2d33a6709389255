"""The experiments of notebook 04, "beyond the paper", as configs; and what they will cost.

* **Gradient surgery** — the Table 4 row "Shuffled batches + SST unreg'd" (the paper's best
  model without a shared layer) against the same tasks trained with one batch of every task per
  step, summed or combined by PCGrad. The two all-tasks runs carry the conflict probe; the
  shuffled run is Table 4's own (shared with its seed rerun, so never trained twice).
* **Class balance** — single-task SST with plain cross entropy (Table 1's first row), the
  class-weighted loss, and the balanced sampler.
* **Cost** — every run of Tables 2-4 and of the surgery experiment already carries its timings.

Planning reads the run cache, so the notebook can say up front how much is left to train, and,
given an executor, train all of it at once as submitit jobs (``train_planned``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.data.splits import DATA_DIR
from minbert_lab.experiments.committed import RESULTS_DIR
from minbert_lab.experiments.fanout import Executor, fan_out
from minbert_lab.experiments.grids import grid_configs
from minbert_lab.experiments.queue import estimated_seconds
from minbert_lab.experiments.seeds import seeded_configs
from minbert_lab.experiments.store import RUNS_DIR, RunStore

SURGERY_BASE = "Shuffled batches + SST unreg'd"
SHUFFLED, ALL_TASKS, PCGRAD = ("shuffled batches (Table 4)", "all tasks per step",
                               "all tasks per step + PCGrad")
PLAIN, WEIGHTED, BALANCED = ("plain CE", "class-weighted CE", "balanced sampler")
CONFLICT_PROBES = 9


def surgery_arms(profile: str, *, seed: int = 0, checkpoint: str = DEFAULT_CHECKPOINT,
                 probes: int = CONFLICT_PROBES) -> dict[str, RunConfig]:
    """Shuffled batches (Table 4's row), all tasks per step (summed), and the same with PCGrad.

    All-tasks steps use round robin's complete rounds: as many batches per epoch as shuffled,
    a third as many optimizer steps.
    """
    base = grid_configs("4", profile=profile, seed=seed, checkpoint=checkpoint)[SURGERY_BASE]
    all_tasks = dataclasses.replace(base, ordering="round_robin", tasks_per_step="all",
                                    conflict_probes=probes)
    return {SHUFFLED: base, ALL_TASKS: all_tasks,
            PCGRAD: dataclasses.replace(all_tasks, gradient_surgery="pcgrad")}


def class_balance_arms(profile: str, *, seed: int = 0,
                       checkpoint: str = DEFAULT_CHECKPOINT) -> dict[str, RunConfig]:
    """Single-task SST three ways; ``plain CE`` is Table 1's "cross entropy loss" row."""
    plain = grid_configs("1", profile=profile, seed=seed, checkpoint=checkpoint)[
        "cross entropy loss"]
    return {
        PLAIN: plain,
        WEIGHTED: dataclasses.replace(
            plain, tasks={"sst": TaskConfig("linear", "weighted_cross_entropy")}),
        BALANCED: dataclasses.replace(
            plain, tasks={"sst": TaskConfig("linear", "cross_entropy", sampler="balanced")}),
    }


def cost_configs(profile: str, *, seed: int = 0,
                 checkpoint: str = DEFAULT_CHECKPOINT) -> dict[str, RunConfig]:
    """Tables 2-4 and the surgery runs, labelled ``"T<n>: <row>"`` (one seed)."""
    configs = {}
    for table in ("2", "3", "4"):
        for label, config in grid_configs(table, profile=profile, seed=seed,
                                          checkpoint=checkpoint).items():
            configs[f"T{table}: {label}"] = config
    for label, config in surgery_arms(profile, seed=seed, checkpoint=checkpoint).items():
        if label != SHUFFLED:  # that one is Table 4's row, listed above
            configs[label] = config
    return configs


def planned_runs(profile: str, seeds: Sequence[int], *,
                 checkpoint: str = DEFAULT_CHECKPOINT) -> dict[str, list[RunConfig]]:
    """Every run the notebook needs, per experiment (a run may serve several)."""
    def over_seeds(configs: Mapping[str, RunConfig]) -> list[RunConfig]:
        return [c for runs in seeded_configs(configs, seeds).values() for c in runs]

    kw = {"profile": profile, "checkpoint": checkpoint}
    return {
        "gradient surgery": over_seeds(surgery_arms(**kw)),
        "class balance": over_seeds(class_balance_arms(**kw)),
        "Table 4 over seeds": over_seeds(grid_configs("4", **kw)),
        "score vs cost": list(cost_configs(**kw, seed=seeds[0]).values()),
    }


def train_planned(planned: Mapping[str, Sequence[RunConfig]], executor: Executor | None, *,
                  data_dir: Path | str = DATA_DIR, runs_dir: Path | str = RUNS_DIR,
                  progress: bool = True) -> list[str]:
    """Trains every planned run the cache lacks as submitit jobs, in one fan-out
    (``experiments.fanout``), so that the notebook's sections only load. Nothing without an
    executor: each section then trains its own runs in the notebook's process.

    Returns:
        The labels of the runs submitted, ``"<experiment> #<n>, seed <s>"`` (a job's log
        starts with its whole config).
    """
    configs = {f"{experiment} #{n}, seed {config.seed}": config
               for experiment, runs in planned.items() for n, config in enumerate(runs, 1)}
    return fan_out(configs, executor, data_dir=data_dir, runs_dir=runs_dir, progress=progress)


def runtime_estimate(planned: Mapping[str, Sequence[RunConfig]], *,
                     data_dir: Path | str = DATA_DIR,
                     runs_dir: Path | str = RUNS_DIR,
                     results_dir: Path | str = RESULTS_DIR) -> pd.DataFrame:
    """Per experiment: runs, how many are stored (committed or cached), and a rough estimate of
    the seconds left.

    Each run still to train counts the median seconds (training and evaluation) of stored runs
    of its kind (single-task or multitask, same profile) — times measured on this machine;
    SMART runs count double. With no cached run of a kind to learn from, the estimate is
    ``None`` (unknown). A run shared by two experiments is counted once, under the first.
    """
    store = RunStore(data_dir, runs_dir, results_dir)
    seen: set[str] = set()
    rows = []
    for experiment, configs in planned.items():
        todo, done = [], 0
        for config in configs:
            key = store.key(config)
            if key in seen:
                continue
            seen.add(key)
            if store.has(config):
                done += 1
            else:
                todo.append(config)
        seconds = estimated_seconds(todo, store)
        rows.append({"experiment": experiment, "runs": done + len(todo), "cached": done,
                     "to train": len(todo), "estimated minutes": None if seconds is None else
                     round(seconds / 60, 1)})
    return pd.DataFrame(rows)


def estimate_note(estimate: pd.DataFrame) -> str:
    """One Markdown line: the total still to train and the rough time it will take."""
    todo = int(estimate["to train"].sum())
    if todo == 0:
        return "**Every run this notebook needs is cached: it only loads and draws.**"
    minutes = estimate["estimated minutes"]
    known = minutes.notna().all()
    time = (f"roughly {minutes.sum():.0f} minutes" if known else
            "an unknown time (no cached run of the same kind and profile to estimate from)")
    return (f"**{todo} of {int(estimate['runs'].sum())} runs still to train: {time}.** Rough: "
            "from the median time of cached runs of the same kind on this machine; other "
            "jobs' load changes it.")
