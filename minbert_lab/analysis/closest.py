"""The paper's row closest to any config: what the ablation explorer compares a run against.

Only rows with the same set of tasks compete (a single-task SST run is never compared with a
multitask row). Among those, the row differing in the fewest settings wins (another weight of
the same regularizer counts half), ties going to the earlier table and row. Settings a profile
decides (epochs, batch size, learning rate, max length) and the seed are ignored: the paper's
numbers come from its own recipe whatever ours is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from minbert_lab.config import RunConfig
from minbert_lab.experiments.tables import METRICS, grid_rows

PAPER_TABLES = ("1", "2", "3", "4")
IGNORED = {"profile", "seed", "epochs", "batch_size", "lr", "max_length", "tasks"}
ORDERING_KNOBS = {"weighted": {"ordering_task", "ordering_weight"},
                  "proportional": {"ordering_temperature"}}


@dataclass(frozen=True)
class ClosestRow:
    """The nearest paper row: which table and row, its numbers, and how our config differs."""

    table: str
    label: str
    paper: dict[str, float]
    differences: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return not self.differences

    def describe(self) -> str:
        where = f"Table {self.table}, row “{self.label}”"
        if self.exact:
            return f"{where} (the same configuration)"
        return f"{where}; differs in: " + "; ".join(self.differences)


def config_differences(ours: RunConfig, theirs: RunConfig) -> list[str]:
    """Human-readable differences, e.g. ``"sst regularizer: smart (paper row: none)"``.

    Ordering knobs count only when either ordering uses them (``ordering_task`` and
    ``ordering_weight`` for ``weighted``, ``ordering_temperature`` for ``proportional``), and
    ``reg_weight`` only between two runs of the same regularizer. Single-task runs ignore the
    ordering.
    """
    a, b = ours.to_dict(), theirs.to_dict()
    differences = []
    for task in ours.tasks:
        ta, tb = a["tasks"][task], b["tasks"].get(task, {})
        for key in ("head", "loss", "regularizer", "reg_weight", "task_weight"):
            # A weight is comparable only between two runs of the same, active regularizer.
            if key == "reg_weight" and not ta["regularizer"] == tb.get("regularizer") != "none":
                continue
            if ta[key] != tb.get(key):
                differences.append(f"{task} {key}: {ta[key]} (paper row: {tb.get(key)})")
    knobs = ORDERING_KNOBS.get(a["ordering"], set()) | ORDERING_KNOBS.get(b["ordering"], set())
    for key in {**a, **b}:  # to_dict leaves later-added fields out at their default
        if key in IGNORED or (key.startswith("ordering") and not ours.multitask):
            continue
        if key.startswith("ordering_") and key not in knobs:
            continue
        mine, paper = a.get(key, _default(key)), b.get(key, _default(key))
        if mine != paper:
            differences.append(f"{key}: {mine} (paper row: {paper})")
    return differences


def _default(key: str):
    return next(f.default for f in dataclasses.fields(RunConfig) if f.name == key)


def closest_paper_row(config: RunConfig) -> ClosestRow:
    """The paper row (Tables 1-4) nearest to ``config``.

    Raises:
        ValueError: no paper row trains the same set of tasks (e.g. para + sts only).
    """
    best: ClosestRow | None = None
    for table in PAPER_TABLES:
        for row in grid_rows(table, config.profile, config.seed, config.checkpoint):
            if set(row.config.tasks) != set(config.tasks) or not row.paper:
                continue
            found = ClosestRow(table, row.label, dict(row.paper),
                               tuple(config_differences(config, row.config)))
            if best is None or _cost(found) < _cost(best):
                best = found
    if best is None:
        raise ValueError(f"no paper row trains the tasks {sorted(config.tasks)}; the paper has "
                         "single-task rows for each task and multitask rows for all three")
    return best


def _cost(row: ClosestRow) -> float:
    # The same regularizer at another weight is nearer than another regularizer.
    return sum(0.5 if " reg_weight: " in d else 1.0 for d in row.differences)


def comparison_frame(metrics: dict[str, float], closest: ClosestRow) -> pd.DataFrame:
    """One row per metric the paper row reports: ours, the paper's, and the difference."""
    rows = []
    for metric in METRICS:
        if metric in closest.paper and metric in metrics:
            ours, paper = float(metrics[metric]), float(closest.paper[metric])
            rows.append({"metric": metric, "ours": round(ours, 4), "paper": paper,
                         "ours − paper": round(ours - paper, 4)})
    return pd.DataFrame(rows)
