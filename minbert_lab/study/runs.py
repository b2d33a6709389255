"""The runs a notebook shows, over its seeds: a paper grid as a table, the dropout ablation as
a task x dropout table, and the stored results of chosen rows or configs (for curves, error
analysis and the paper's claims).

A study that does not train (``StudySettings.train`` is False: the all-data study by default)
only loads: a run that is not stored is left out, and a table shows it as not run, with the
command that trains it and a rough time.

Everything goes through ``experiments`` (``run_grid``, ``run_or_load``), so a row trained once,
by any notebook, is loaded from the run cache by every later one. Each takes an ``executor``
(``experiments.fanout``): the runs not yet stored are then trained as submitit jobs, and every
result is read from the cache; ``None`` trains them in this process, one after another.
"""

from __future__ import annotations

import math

import pandas as pd

from minbert_lab.config import TASK_TITLES, RunConfig
from minbert_lab.durations import duration
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.fanout import Executor, fan_out
from minbert_lab.experiments.grids import grid_configs, grid_rows
from minbert_lab.experiments.queue import PLANS, estimated_seconds
from minbert_lab.experiments.seeds import run_seeds
from minbert_lab.experiments.store import RunStore
from minbert_lab.experiments.tables import run_grid, with_intervals
from minbert_lab.metrics import METRIC_OF, METRICS
from minbert_lab.stats.significance import t_interval
from minbert_lab.study.settings import StudySettings, committed_figures, repo_root


def run_table(study: StudySettings, name: str,
              executor: Executor | None = None) -> pd.DataFrame:
    """Runs or loads grid ``name`` for every seed of ``study`` (loads only, when the study does
    not train).

    With one seed this is ``run_grid``'s table. With several, ``ours_*`` is the mean over the
    seeds stored, ``ours_*_std`` its standard deviation and ``ours_*_low`` / ``ours_*_high`` its
    95% Student-t interval, ``seeds`` how many seeds the row has; ``train_seconds`` is summed.
    ``attrs["not_run"]`` names each row's missing seeds.
    """
    configs = {f"{label}, seed {seed}": config for seed in study.seeds
               for label, config in grid_configs(name, profile=study.profile, seed=seed,
                                                 checkpoint=study.checkpoint).items()}
    if study.train:
        _fan_out(study, configs, executor)  # one fan-out for every seed
    frames = [run_grid(name, profile=study.profile, seed=seed, checkpoint=study.checkpoint,
                       data_dir=study.data_dir, runs_dir=study.runs_dir,
                       progress=study.progress, stored_only=not study.train)
              for seed in study.seeds]
    attrs = dict(frames[0].attrs, seeds=list(study.seeds))
    if not study.train:
        attrs["train_hint"] = train_hint(study, RunStore(study.data_dir, study.runs_dir)
                                         .missing(configs).values())
    if len(frames) == 1:
        frames[0].attrs = attrs
        return frames[0]
    return _over_seeds(frames, study.seeds, attrs)


def _over_seeds(frames: list[pd.DataFrame], seeds: tuple[int, ...],
                attrs: dict) -> pd.DataFrame:
    """One table from one ``run_grid`` frame per seed: per row, the mean over the seeds it has
    and their interval (see ``run_table``)."""
    stacked = pd.concat(frames, keys=range(len(frames)), names=["seed_index", "row"])
    grouped = stacked.groupby(level="row", sort=True)
    frame = frames[0][["label"]].copy()
    for metric in METRICS:
        ours, paper = f"ours_{metric}", f"paper_{metric}"
        if ours in stacked:
            frame[ours] = grouped[ours].mean().round(4)
            frame[f"{ours}_std"] = grouped[ours].std().round(4)
            bounds = grouped[ours].apply(lambda v: t_interval(v.dropna().to_numpy(float))[1:]
                                         if v.notna().any() else (math.nan, math.nan))
            frame[f"{ours}_low"] = bounds.map(lambda b: round(b[0], 4))
            frame[f"{ours}_high"] = bounds.map(lambda b: round(b[1], 4))
            frame[paper] = frames[0][paper]
    primary = next(f"ours_{m}" for m in reversed(METRICS) if f"ours_{m}" in stacked)
    frame["seeds"] = grouped[primary].count()
    frame["epoch"] = grouped["epoch"].mean().round(1)
    frame["train_seconds"] = grouped["train_seconds"].sum(min_count=1).round(1)
    frame["cached"] = grouped["cached"].all()
    missing = {}
    for seed, single in zip(seeds, frames):
        for label in single.attrs.get("not_run", []):
            missing.setdefault(label, []).append(seed)
    not_run = [f"{label} (seed{'s' * (len(s) > 1)} {', '.join(map(str, s))})"
               for label, s in missing.items()]
    runs = int(stacked["train_seconds"].notna().sum())
    frame.attrs = dict(attrs, not_run=not_run, runs=runs,
                       train_seconds=float(stacked["train_seconds"].sum()),
                       note=f"{attrs['note']}; mean over up to {len(frames)} seeds "
                            f"({', '.join(map(str, seeds))}; column seeds), with 95% "
                            "Student-t intervals over seeds; train_seconds: the row's "
                            "seeds together")
    return frame


def train_hint(study: StudySettings, missing, command: str | None = None) -> str | None:
    """What trains the runs ``missing`` of a study that only loads (``command``; by default
    the all-data seed queue, or ``make study ... TRAIN=yes``), with a rough time; ``None``
    when nothing is missing."""
    missing = list(missing)
    if not missing:
        return None
    store = RunStore(study.data_dir, study.runs_dir)
    seconds = estimated_seconds(missing, store)
    rough = "" if seconds is None else f", roughly {duration(seconds)} at the stored runs' pace"
    command = command or _command_for(study, missing, store)
    return (f"{len(missing)} run{'s' * (len(missing) > 1)} not stored yet; {command} trains "
            f"them{rough}")


def dropout_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The dropout grid's table as one row per task, one column per dropout, and the best one.

    Args:
        frame: ``run_table(study, "dropout")`` (labels ``"<task> dropout <p>"``).
    """
    rows: dict[str, dict] = {}
    for record in frame.to_dict("records"):
        task, _, p = record["label"].partition(" dropout ")
        rows.setdefault(task, {"task": TASK_TITLES[task], "metric": METRIC_OF[task]})
        rows[task][f"dropout {p}"] = record[f"ours_{METRIC_OF[task]}"]
    table = pd.DataFrame(list(rows.values()))
    cells = [c for c in table.columns if c.startswith("dropout ")]
    table["best dropout"] = [float(table.loc[i, cells].astype(float).idxmax().split()[-1])
                             for i in table.index]
    table.attrs = dict(frame.attrs)
    return table


def load_rows(study: StudySettings, name: str, labels: list[str] | None = None,
              seed: int | None = None,
              executor: Executor | None = None) -> dict[str, dict]:
    """The full stored results (history, predictions) of grid rows, by label.

    Loads from the run cache when the table already ran; otherwise trains the missing rows.

    Raises:
        ValueError: a label that is not a row of the grid.
    """
    seed = study.seeds[0] if seed is None else seed
    rows = {row.label: row for row in grid_rows(name, study.profile, seed, study.checkpoint)}
    wanted = list(rows) if labels is None else labels
    unknown = [label for label in wanted if label not in rows]
    if unknown:
        raise ValueError(f"labels {unknown} are not rows of table {name}; rows: {list(rows)}")
    return run_configs(study, {label: rows[label].config for label in wanted}, executor,
                       prefix=f"table {name} ")


def best_label(frame: pd.DataFrame, metric: str = "score") -> str:
    """The label of the row with the highest ``ours_<metric>`` (the first, on ties)."""
    column = f"ours_{metric}"
    if column not in frame:
        raise ValueError(f"the table has no column {column!r}; it has {list(frame.columns)}")
    return str(frame.loc[frame[column].astype(float).idxmax(), "label"])


def _command_for(study: StudySettings, missing: list[RunConfig], store: RunStore) -> str:
    """The queue whose plan holds every one of ``missing``, else ``make study ... TRAIN=yes``."""
    keys = {store.key(config) for config in missing}
    for name, plan in PLANS.items() if study.profile == "all-data" else ():
        if keys <= {store.key(config) for _, config in plan(study.profile,
                                                             checkpoint=study.checkpoint)}:
            return f"`python -m minbert_lab queue {name}`"
    return f"`make study PROFILE={study.profile} TRAIN=yes`"


def best_multitask_run(study: StudySettings) -> tuple[str, dict, pd.DataFrame]:
    """The best Table 4 row by composite score (mean over the study's stored seeds): its
    label, the run of the study's first seed, and its table row."""
    table4 = run_table(study, "4")
    stored = table4[table4["ours_score"].notna()]
    if stored.empty:
        raise LookupError("no Table 4 row is stored yet: train them first (make study "
                          f"PROFILE={study.profile} TRAIN=yes)")
    label = best_label(stored, "score")
    rows = load_rows(study, "4", [label])
    if label not in rows:
        raise LookupError(f"{label!r}, the best Table 4 row, has no stored run at seed "
                          f"{study.seeds[0]} to analyse")
    return label, rows[label], with_intervals(table4.loc[table4["label"] == label])


def run_seeded(study: StudySettings, configs: dict[str, RunConfig],
               executor: Executor | None = None) -> dict[str, list[dict]]:
    """Runs or loads every config once per seed of ``study``: label -> results in seed order
    (the input of ``stats.significance``)."""
    return run_seeds(configs, study.seeds, data_dir=study.data_dir, runs_dir=study.runs_dir,
                     progress=study.progress, executor=executor, stored_only=not study.train)


def grid_results(study: StudySettings, name: str,
                 executor: Executor | None = None) -> dict[str, list[dict]]:
    """Paper grid ``name`` over the seeds of ``study``: row label -> results in seed order."""
    configs = grid_configs(name, profile=study.profile, checkpoint=study.checkpoint)
    return run_seeded(study, configs, executor)


def run_configs(study: StudySettings, configs: dict[str, RunConfig],
                executor: Executor | None = None, *, prefix: str = "") -> dict[str, dict]:
    """Runs or loads each config once, with the seed it carries: label -> result. A study that
    does not train leaves out the configs with no stored result."""
    if not study.train:
        store = RunStore(study.data_dir, study.runs_dir)
        return {label: result for label, config in configs.items()
                if (result := store.load(config)) is not None}
    _fan_out(study, configs, executor)
    return {label: run_or_load(config, data_dir=study.data_dir, runs_dir=study.runs_dir,
                               progress=study.progress,
                               label=f"{prefix}({label})" if prefix else label)
            for label, config in configs.items()}


def _fan_out(study: StudySettings, configs: dict[str, RunConfig],
             executor: Executor | None) -> None:
    fan_out(configs, executor, data_dir=study.data_dir, runs_dir=study.runs_dir,
            progress=study.progress)


# Profiles whose notebook 01 shows another profile's dropout ablation instead of running its own
# (all-data: nine more all-data runs, for a table the paper gives no numbers for).
DROPOUT_FROM = {"all-data": "quick"}


def dropout_elsewhere(study: StudySettings) -> str | None:
    """Markdown pointing to the profile whose dropout ablation this one shows, with that table;
    ``None`` when this profile runs its own."""
    source = DROPOUT_FROM.get(study.profile)
    if source is None:
        return None
    path = committed_figures(repo_root(), source) / "dropout.md"
    table = path.read_text() if path.is_file() else "(not made yet)"
    return (f"The dropout ablation stays in the **{source} profile** in this study (nine more "
            f"runs on all the data, for a table the paper gives no numbers for). From "
            f"`figures/{source}/dropout.md`:\n\n{table}")
