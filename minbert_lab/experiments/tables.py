"""Run (or load) a paper grid and lay it out with the paper's numbers beside ours."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT, quora_caveat
from minbert_lab.data.splits import DATA_DIR, load_manifest, split_note
from minbert_lab.durations import duration
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.fanout import Executor, fan_out
from minbert_lab.experiments.grids import GridRow, grid_rows
from minbert_lab.experiments.store import RUNS_DIR, RunStore
from minbert_lab.metrics import METRIC_OF, METRICS
from minbert_lab.profiles import PROFILES


def profile_note(profile: str) -> str:
    """What a profile is and what its numbers are worth, in one phrase, from
    ``config.PROFILES``: ``"quick profile (1,024 train / ...): small CPU runs, ..."``."""
    p = PROFILES[profile]
    return f"{p.summary()}: {p.description}"


def run_grid(name: str, *, profile: str = "quick", seed: int = 0,
             checkpoint: str = DEFAULT_CHECKPOINT, data_dir: Path | str = DATA_DIR,
             runs_dir: Path | str = RUNS_DIR, progress: bool = True,
             executor: Executor | None = None, stored_only: bool = False) -> pd.DataFrame:
    """Runs or loads every config of a grid; one row per config.

    With an ``executor`` (``experiments.fanout``), the configs not yet stored are trained as
    submitit jobs first, then every row is read from the cache (``cached`` is False for the rows
    those jobs trained); ``None`` trains them here, one after another. ``stored_only`` trains
    nothing: a row with no stored result (committed or cached) keeps the paper's numbers, its
    own are left empty, and ``attrs["not_run"]`` lists those rows' labels.

    Columns: ``label``, then for each metric the task trains ``ours_<metric>`` and
    ``paper_<metric>``, then ``epoch`` (best), ``train_seconds``, ``cached``. ``df.attrs`` holds
    the profile, checkpoint, data split note and the profile's caveat.
    """
    rows = grid_rows(name, profile, seed, checkpoint)
    configs = {row.label: row.config for row in rows}
    not_run = RunStore(data_dir, runs_dir).missing(configs) if stored_only else {}
    trained = set() if stored_only else fan_out(configs, executor, data_dir=data_dir,
                                                runs_dir=runs_dir, progress=progress)
    records = []
    for i, row in enumerate(tqdm(rows, desc=f"table {name} ({profile})", disable=not progress,
                                 unit="run"), start=1):
        if row.label in not_run:
            records.append(_record(row))
            continue
        result = run_or_load(row.config, data_dir=data_dir, runs_dir=runs_dir, progress=progress,
                             label=f"table {name} run {i}/{len(rows)} ({row.label}"
                                   + (f", seed {seed})" if seed else ")"))
        records.append(_record(row, result, trained=row.label in trained))
    frame = pd.DataFrame(records)
    manifest = load_manifest(data_dir)
    frame.attrs.update(
        table=name,
        profile=profile,
        checkpoint=rows[0].config.checkpoint,
        data=split_note(manifest),
        note=profile_note(profile),
        not_run=list(not_run),
        # the grid's own runs: rows appended later (zero-shot, the recipe) leave the caption's
        # training time alone
        train_seconds=float(frame["train_seconds"].sum()),
        runs=int(frame["train_seconds"].notna().sum()),
    )
    return frame


def _record(row: GridRow, result: dict | None = None, *, trained: bool = False) -> dict:
    """One table row: ours beside the paper's, per metric the row trains; with no ``result``
    (not run yet) ours are left empty."""
    reported = {METRIC_OF[task] for task in row.config.tasks}
    if row.config.multitask:
        reported.add("score")
    record: dict = {"label": row.label}
    for metric in (m for m in METRICS if m in reported):
        record[f"ours_{metric}"] = None if result is None else round(result["metrics"][metric], 4)
        record[f"paper_{metric}"] = row.paper.get(metric)
    if result is None:
        return {**record, "epoch": None, "train_seconds": None, "cached": False}
    record["epoch"] = result["metrics"]["epoch"] + 1
    record["train_seconds"] = round(result["timings"]["train_seconds"], 1)
    record["cached"] = result.get("cached", False) and not trained
    return record


def caption(frame: pd.DataFrame) -> str:
    """A paper table's caption (from ``run_grid``'s attrs); other frames: ``attrs["caption"]``."""
    a = frame.attrs
    if not {"table", "checkpoint", "note", "data"} <= set(a):
        return str(a.get("caption", ""))
    text = f"Table {a['table']} — checkpoint {a['checkpoint']}; {a['note']}; data: {a['data']}"
    if (seconds := a.get("train_seconds", 0)) > 0:
        runs = a["runs"]
        text += (f"; training: {duration(seconds)} over {runs} run{'s' * (runs > 1)}"
                 " (as each was timed, on whatever machine and load trained it)")
    if a.get("not_run"):
        text += f"; not run yet: {', '.join(a['not_run'])}"
        if a.get("train_hint"):
            text += f" ({a['train_hint']})"
    shows_quora = "ours_para_acc" in frame or frame.isin(["para_acc"]).any().any()  # pivoted
    if shows_quora and (caveat := quora_caveat(a["checkpoint"])):
        text += f". Quora: {caveat}"
    return text


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table (no extra dependency)."""
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join("" if pd.isna(v) else str(v) for v in rec) + " |"
            for rec in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def with_intervals(frame: pd.DataFrame) -> pd.DataFrame:
    """For display: each ``X`` with ``X_low`` / ``X_high`` beside it as one cell,
    ``0.743 [0.738, 0.748]`` (the mean alone where there is no interval: one seed); ``X_std``
    columns dropped."""
    shown = frame.copy()
    for column in [c for c in frame.columns if f"{c}_low" in frame and f"{c}_high" in frame]:
        low, high = frame[f"{column}_low"], frame[f"{column}_high"]
        shown[column] = [
            "" if pd.isna(v) else f"{v:.4f}" if pd.isna(lo) or pd.isna(hi)
            else f"{v:.4f} [{lo:.4f}, {hi:.4f}]"
            for v, lo, hi in zip(frame[column], low, high)]
        shown = shown.drop(columns=[f"{column}_low", f"{column}_high", f"{column}_std"],
                           errors="ignore")
    shown.attrs = dict(frame.attrs)
    return shown


def to_markdown(frame: pd.DataFrame) -> str:
    """The table as Markdown (a mean and its interval in one cell), with its caption (profile,
    checkpoint, split) underneath."""
    shown = with_intervals(frame).drop(columns=["cached"], errors="ignore")
    return "\n".join([markdown_table(shown), "", caption(frame), ""])
