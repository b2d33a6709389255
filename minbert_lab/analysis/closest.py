"""The paper's row closest to any config: what the ablation explorer compares a run against.

Only rows with the same set of tasks compete (a single-task SST run is never compared with a
multitask row). Among those, the row differing in the fewest settings wins (another weight of
the same regularizer counts half), ties going to the earlier table and row. Settings a profile
decides (epochs, batch size, learning rate, max length) and the seed are ignored: the paper's
numbers come from its own recipe whatever ours is.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from minbert_lab.config import RunConfig
from minbert_lab.experiments.grids import grid_rows
from minbert_lab.metrics import METRICS

PAPER_TABLES = ("1", "2", "3", "4")
IGNORED = {"profile", "seed", "epochs", "batch_size", "lr", "max_length", "tasks"}
ORDERING_KNOBS = {"weighted": {"task", "weight"}, "proportional": {"temperature"}}


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

    Ordering knobs count only when either ordering uses them (``ordering.task`` and
    ``ordering.weight`` for ``weighted``, ``ordering.temperature`` for ``proportional``), and
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
    oa, ob = a.pop("ordering"), b.pop("ordering")
    if ours.multitask:
        knobs = ORDERING_KNOBS.get(oa["name"], set()) | ORDERING_KNOBS.get(ob["name"], set())
        for key in ("name", *sorted(knobs)):
            if oa[key] != ob[key]:
                name = "ordering" if key == "name" else f"ordering.{key}"
                differences.append(f"{name}: {oa[key]} (paper row: {ob[key]})")
    for key in a:
        if key not in IGNORED and a[key] != b[key]:
            differences.append(f"{key}: {a[key]} (paper row: {b[key]})")
    return differences


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
