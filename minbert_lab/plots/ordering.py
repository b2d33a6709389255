"""The paper's Figure 2: batch composition per epoch under each batch ordering."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from minbert_lab.config import TASK_TITLES, TASKS

# tab10, fixed here rather than taken from rcParams so a task keeps its colour in every figure.
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def task_colors(tasks: list[str] | tuple[str, ...]) -> dict[str, str]:
    """A colour per task: the study's tasks always get the same ones, others follow."""
    known = list(TASKS)
    others = [t for t in dict.fromkeys(tasks) if t not in known]
    ordered = known + others
    return {t: _PALETTE[i % len(_PALETTE)] for i, t in enumerate(ordered) if t in tasks}


def plot_batch_composition(orders: dict[str, pd.DataFrame]) -> Figure:
    """One horizontal strip per ordering; each step of the epoch is a thin bar in its task's colour.

    Args:
        orders: ordering name -> that ordering's ``composition(epoch)`` (columns ``step``,
            ``task``), e.g. ``minbert_lab.training.ordering.compositions(n_batches)``.

    Returns:
        The Figure, with one axis row per ordering; it is neither shown nor saved.
    """
    if not orders:
        raise ValueError("orders is empty; give at least one ordering's composition")
    for name, frame in orders.items():
        missing = {"step", "task"} - set(frame.columns)
        if missing:
            raise ValueError(f"orders[{name!r}] lacks columns {sorted(missing)}")
    tasks = list(dict.fromkeys(t for frame in orders.values() for t in frame["task"]))
    colors = task_colors(tasks)
    steps = max(
        (int(frame["step"].max()) + 1 for frame in orders.values() if len(frame)), default=1
    )

    # A bare Figure (not pyplot) so nothing is registered globally or shown twice in notebooks.
    fig = Figure(figsize=(10, 0.6 * len(orders) + 1.4), layout="constrained")
    axes = fig.subplots(len(orders), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (name, frame) in zip(axes, orders.items()):
        frame = frame.sort_values("step")
        for task, color in colors.items():
            # One broken_barh per task with merged runs of consecutive steps: a few artists
            # instead of one rectangle per step, and no gaps between adjacent steps.
            runs = _runs(frame.loc[frame["task"] == task, "step"].tolist())
            ax.broken_barh(runs, (0, 1), facecolors=color, linewidth=0)
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    axes[-1].set_xlim(0, steps)
    axes[-1].set_xlabel("step within the epoch")
    handles = [Patch(color=c, label=TASK_TITLES.get(t, t)) for t, c in colors.items()]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    fig.suptitle("Batch composition per epoch, by batch ordering")
    return fig


def _runs(steps: list[int]) -> list[tuple[int, int]]:
    """Sorted steps -> (start, length) of each run of consecutive steps."""
    runs: list[tuple[int, int]] = []
    for step in steps:
        if runs and runs[-1][0] + runs[-1][1] == step:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((step, 1))
    return runs
