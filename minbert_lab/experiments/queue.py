"""Training queues: an ordered plan of runs, trained one after another, resumable.

The all-data study needs tens of hours of CPU (every Table 1-4 config over three seeds, the
fair single-task models). A plan lists those runs in the order their results matter most; the
queue skips every run already stored (committed results or the run cache) and trains the rest
one at a time, so a stopped queue started again goes on where it was, mid-run included (the
run's resume state).

Example:
    >>> plan = PLANS["seeds"]()                     # [(label, config), ...] in priority order
    >>> run_queue(plan, data_dir="data")            # trains what is missing, one run at a time
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import sys
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.config import TASKS, RunConfig, TaskConfig
from minbert_lab.data.splits import DATA_DIR
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.committed import RESULTS_DIR
from minbert_lab.experiments.grids import grid_rows
from minbert_lab.experiments.recipe import (
    CANDIDATE_LEVERS,
    RECIPE,
    fair_single_task_config,
    lever_confirmation,
    lever_screen,
    recipe_ablations,
    recipe_config,
)
from minbert_lab.experiments.store import RUNS_DIR, RunStore, key_form, load_result

Plan = list[tuple[str, RunConfig]]

# The rows behind the paper's claims first (issue "Every verdict survives a reseed"): Table 4
# rows 2, 3, 4 and 7, the three single-task references, Table 1; then every other row.
_FIRST = [("4", 2), ("4", 3), ("4", 4), ("4", 7), ("1", 1), ("2", 5), ("3", 4), ("1", 2),
          ("1", 3)]
# The single-task CE+CS STS run (mean pooling) the recipe's STS head was chosen from.
CE_CS_STS = "single-task CE+CS STS (mean pooling)"


def ce_cs_sts_config(profile: str = "all-data", *, seed: int = 0,
                     checkpoint: str = DEFAULT_CHECKPOINT) -> RunConfig:
    """The single-task cross-encoder + cosine STS run (r 0.880 at seed 0 on all the data)."""
    return RunConfig(tasks={"sts": TaskConfig("cross_encoder_cosine", "mse")}, profile=profile,
                     pooling="mean", seed=seed, checkpoint=checkpoint)


def seeds_plan(profile: str = "all-data", seeds: tuple[int, ...] = (1, 2),
               checkpoint: str = DEFAULT_CHECKPOINT) -> Plan:
    """Every Table 1-4 config and the CE+CS STS run at ``seeds``, the claims' rows first."""
    rows = {(table, n): row for table in "1234"
            for n, row in enumerate(grid_rows(table, profile, checkpoint=checkpoint), 1)}
    order = _FIRST + [key for key in rows if key not in _FIRST]
    plan = [(f"Table {table} row {n}: {rows[table, n].label}", rows[table, n].config)
            for table, n in order]
    plan.append((CE_CS_STS, ce_cs_sts_config(profile, checkpoint=checkpoint)))
    return [(f"{label}, seed {seed}", dataclasses.replace(config, seed=seed))
            for label, config in plan for seed in seeds]


def recipe_plan(profile: str = "all-data", seeds: tuple[int, ...] = (0, 1, 2),
                checkpoint: str = DEFAULT_CHECKPOINT) -> Plan:
    """The recipe at every seed (the all-data ones are committed: ``reproduce recipe`` trains
    them again to check them)."""
    return [(f"recipe, seed {seed}", recipe_config(profile, seed=seed, checkpoint=checkpoint))
            for seed in seeds]


def fair_single_task_plan(profile: str = "all-data", seeds: tuple[int, ...] = (0, 1, 2),
                          checkpoint: str = DEFAULT_CHECKPOINT) -> Plan:
    """The fair single-task models: the recipe on one task at a time, at every seed."""
    return [(f"recipe on {task} alone, seed {seed}",
             fair_single_task_config(task, profile, seed=seed, checkpoint=checkpoint))
            for seed in seeds for task in TASKS]


def lever_screen_plan(profile: str = "all-data", seeds: tuple[int, ...] = (0,),
                      checkpoint: str = DEFAULT_CHECKPOINT) -> Plan:
    """The recipe and each candidate lever on it, in bf16, at one seed (a screen); the SST
    teacher first, so that the distilling runs find it."""
    plan = [(f"teacher: recipe on sst alone, seed {seed}",
             fair_single_task_config("sst", profile, seed=seed, checkpoint=checkpoint))
            for seed in seeds]
    return plan + [(f"screen: {label}, seed {seed}", config) for seed in seeds
                   for label, config in lever_screen(profile, seed=seed,
                                                     checkpoint=checkpoint).items()]


def confirmation_plan(profile: str = "all-data", seeds: tuple[int, ...] = (0, 1, 2),
                      checkpoint: str = DEFAULT_CHECKPOINT,
                      levers: tuple[str, ...] = ()) -> Plan:
    """The recipe with each of ``levers`` (promising on the screen) added, in the profile's
    precision, at every seed: a lever's confirmation, lever by lever. No lever, no run.

    Raises:
        ValueError: a lever that is not a candidate (``experiments.recipe.CANDIDATE_LEVERS``).
    """
    return [(f"confirm: with {lever}, seed {seed}",
             lever_confirmation(lever, profile, seed=seed, checkpoint=checkpoint))
            for lever in levers for seed in seeds]


PLANS: dict[str, Callable[..., Plan]] = {
    "recipe": recipe_plan,
    "seeds": seeds_plan,
    "single-task": fair_single_task_plan,
    "levers": lever_screen_plan,
    "confirm": confirmation_plan,
}


def every_planned_run(profile: str = "all-data",
                      checkpoint: str = DEFAULT_CHECKPOINT) -> Plan:
    """Every run the study plans, each once (its first label): Tables 1-4 and the CE+CS STS
    run at seeds 0-2, the recipe, its ablations (seed 0), the fair single-task models, the lever
    screen and every candidate lever's confirmation."""
    ablations = [(f"{label}, seed 0", config) for label, config
                 in recipe_ablations(profile, checkpoint=checkpoint).items() if label != RECIPE]
    plans = [seeds_plan(profile, (0, 1, 2), checkpoint),
             recipe_plan(profile, checkpoint=checkpoint), ablations,
             fair_single_task_plan(profile, checkpoint=checkpoint),
             lever_screen_plan(profile, checkpoint=checkpoint),
             confirmation_plan(profile, checkpoint=checkpoint, levers=tuple(CANDIDATE_LEVERS))]
    seen, out = set(), []
    for label, config in (run for plan in plans for run in plan):
        if (form := json.dumps(key_form(config), sort_keys=True)) not in seen:
            seen.add(form)
            out.append((label, config))
    return out


def is_stored(config: RunConfig, *, data_dir: Path | str = DATA_DIR,
              runs_dir: Path | str = RUNS_DIR, results_dir: Path | str = RESULTS_DIR) -> bool:
    """Whether ``config``'s result is committed or in the run cache (not checked for damage)."""
    return RunStore(data_dir, runs_dir, results_dir).has(config)


def run_queue(plan: Plan, *, data_dir: Path | str = DATA_DIR, runs_dir: Path | str = RUNS_DIR,
              results_dir: Path | str = RESULTS_DIR, progress: bool = True) -> list[dict]:
    """Trains every run of ``plan`` not stored yet, in order, one at a time.

    Returns:
        The results of the runs this call trained.
    """
    todo = [(label, config) for label, config in plan
            if not is_stored(config, data_dir=data_dir, runs_dir=runs_dir,
                             results_dir=results_dir)]
    print(f"queue: {len(plan) - len(todo)} of {len(plan)} runs stored, {len(todo)} to train",
          file=sys.stderr, flush=True)
    trained = []
    for k, (label, config) in enumerate(todo, 1):
        trained.append(run_or_load(config, data_dir=data_dir, runs_dir=runs_dir,
                                   results_dir=results_dir, progress=progress,
                                   label=f"queue {k}/{len(todo)} ({label})"))
    return trained


def uses_smart(config: RunConfig) -> bool:
    return any(t.regularizer == "smart" for t in config.tasks.values())


def observed_seconds(folders: list[Path]) -> dict[tuple[str, str], float]:
    """Median seconds per epoch (training and evaluation) of the stored runs without SMART in
    ``folders``, by kind (``"single"`` or ``"multitask"``) and precision (``"fp32"`` or
    ``"bf16"``); a run both cached and committed counts once, and a pair with no run is
    absent."""
    times: dict[tuple[str, str], list[float]] = {}
    paths = {path.name: path for folder in reversed(folders) if folder.is_dir()
             for path in sorted(folder.glob("*.json"))}
    for path in paths.values():
        with warnings.catch_warnings():  # a damaged file is retrained when needed; skip it here
            warnings.simplefilter("ignore")
            result = load_result(path)
        if result is None:
            continue
        try:
            config = RunConfig.from_dict(result["config"])
            timings = result["timings"]
            seconds = timings["train_seconds"] + timings["eval_seconds"]
        except (ValueError, KeyError, TypeError):
            continue
        if not uses_smart(config):
            resolved = config.resolved()
            times.setdefault((_kind(config), resolved.precision), []).append(
                seconds / resolved.epochs)
    return {pair: statistics.median(v) for pair, v in times.items()}


def _kind(config: RunConfig) -> str:
    return "multitask" if config.multitask else "single"


def estimated_seconds(configs: Iterable[RunConfig], store: RunStore) -> float | None:
    """A rough time to train ``configs``: each counts its epochs at the median seconds per
    epoch of the stored runs of its kind, profile and precision (``observed_seconds``; SMART
    runs count double), as they were timed on whatever machine trained them. With no stored run
    in its precision, a run goes at the other precision's pace: too slow for a bf16 run where
    the CPU has bf16 natively, too fast the other way. ``None`` when a kind has no stored run."""
    observed: dict[str, dict[tuple[str, str], float]] = {}
    total = 0.0
    for config in configs:
        resolved = config.resolved()
        profile = resolved.profile
        if profile not in observed:
            observed[profile] = observed_seconds([Path(store.runs_dir) / profile,
                                                  Path(store.results_dir) / profile])
        kind = _kind(config)
        own = observed[profile].get((kind, resolved.precision))
        any_precision = [pace for (k, _), pace in observed[profile].items() if k == kind]
        per_epoch = own if own is not None else next(iter(any_precision), None)
        if per_epoch is None:
            return None
        total += per_epoch * resolved.epochs * (2 if uses_smart(config) else 1)
    return total
