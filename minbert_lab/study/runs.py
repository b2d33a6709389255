"""The runs a notebook shows, over its seeds: a paper grid as a table, the dropout ablation as
a task x dropout table, and the stored results of chosen rows or configs (for curves, error
analysis and the paper's claims).

Everything goes through ``experiments`` (``run_grid``, ``run_or_load``), so a row trained once,
by any notebook, is loaded from the run cache by every later one. Each takes an ``executor``
(``experiments.fanout``): the runs not yet stored are then trained as submitit jobs, and every
result is read from the cache; ``None`` trains them in this process, one after another.
"""

from __future__ import annotations

import pandas as pd

from minbert_lab.config import TASK_TITLES, RunConfig
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.fanout import Executor, fan_out
from minbert_lab.experiments.seeds import grid_configs, run_seeds
from minbert_lab.experiments.tables import grid_rows, run_grid
from minbert_lab.stats.significance import t_interval
from minbert_lab.study.settings import StudySettings, committed_figures, repo_root
from minbert_lab.training.metrics import METRIC_OF, METRICS


def run_table(study: StudySettings, name: str,
              executor: Executor | None = None) -> pd.DataFrame:
    """Runs or loads grid ``name`` for every seed of ``study``.

    With one seed this is ``run_grid``'s table. With several, ``ours_*`` is the mean over seeds,
    ``ours_*_std`` its standard deviation and ``ours_*_low`` / ``ours_*_high`` its 95% Student-t
    interval; ``train_seconds`` is summed.
    """
    _fan_out(study, {f"{label}, seed {seed}": config for seed in study.seeds  # one fan-out
                     for label, config in grid_configs(name, profile=study.profile, seed=seed,
                                                       checkpoint=study.checkpoint).items()},
             executor)
    frames = [run_grid(name, profile=study.profile, seed=seed, checkpoint=study.checkpoint,
                       data_dir=study.data_dir,
                       runs_dir=study.runs_dir, progress=study.progress) for seed in study.seeds]
    attrs = dict(frames[0].attrs, seeds=list(study.seeds))
    if len(frames) == 1:
        frames[0].attrs = attrs
        return frames[0]
    stacked = pd.concat(frames, keys=range(len(frames)), names=["seed_index", "row"])
    grouped = stacked.groupby(level="row", sort=True)
    frame = frames[0][["label"]].copy()
    for metric in METRICS:
        ours, paper = f"ours_{metric}", f"paper_{metric}"
        if ours in stacked:
            frame[ours] = grouped[ours].mean().round(4)
            frame[f"{ours}_std"] = grouped[ours].std().round(4)
            bounds = grouped[ours].apply(lambda v: t_interval(v.to_numpy(float))[1:])
            frame[f"{ours}_low"] = bounds.map(lambda b: round(b[0], 4))
            frame[f"{ours}_high"] = bounds.map(lambda b: round(b[1], 4))
            frame[paper] = frames[0][paper]
    frame["epoch"] = grouped["epoch"].mean().round(1)
    frame["train_seconds"] = grouped["train_seconds"].sum().round(1)
    frame["cached"] = grouped["cached"].all()
    frame.attrs = dict(attrs, note=f"{attrs['note']}; mean of {len(frames)} seeds, with 95% "
                       "intervals over seeds")
    return frame


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
    _fan_out(study, {label: rows[label].config for label in wanted}, executor)
    return {label: run_or_load(rows[label].config, data_dir=study.data_dir,
                               runs_dir=study.runs_dir, progress=study.progress,
                               label=f"table {name} ({label})")
            for label in wanted}


def best_label(frame: pd.DataFrame, metric: str = "score") -> str:
    """The label of the row with the highest ``ours_<metric>`` (the first, on ties)."""
    column = f"ours_{metric}"
    if column not in frame:
        raise ValueError(f"the table has no column {column!r}; it has {list(frame.columns)}")
    return str(frame.loc[frame[column].astype(float).idxmax(), "label"])


def run_seeded(study: StudySettings, configs: dict[str, RunConfig],
               executor: Executor | None = None) -> dict[str, list[dict]]:
    """Runs or loads every config once per seed of ``study``: label -> results in seed order
    (the input of ``stats.significance``)."""
    return run_seeds(configs, study.seeds, data_dir=study.data_dir, runs_dir=study.runs_dir,
                     progress=study.progress, executor=executor)


def grid_results(study: StudySettings, name: str,
                 executor: Executor | None = None) -> dict[str, list[dict]]:
    """Paper grid ``name`` over the seeds of ``study``: row label -> results in seed order."""
    configs = grid_configs(name, profile=study.profile, checkpoint=study.checkpoint)
    return run_seeded(study, configs, executor)


def run_configs(study: StudySettings, configs: dict[str, RunConfig],
                executor: Executor | None = None) -> dict[str, dict]:
    """Runs or loads each config once, with the seed it carries: label -> result."""
    _fan_out(study, configs, executor)
    return {label: run_or_load(config, data_dir=study.data_dir, runs_dir=study.runs_dir,
                               progress=study.progress, label=label)
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
