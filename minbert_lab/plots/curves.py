"""The paper's Figure 3: per-task training curves of one or more runs (e.g. sequential vs
shuffled batch ordering), from the ``history`` a stored run keeps.

Top row: each task's training loss over the run's global steps, smoothed with a rolling mean
over that task's own steps. Bottom row: each task's dev metric after every epoch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from minbert_lab.config import TASK_TITLES, TASKS
from minbert_lab.metrics import METRIC_OF

# Run colours: Dark2, so runs never look like the task colours of Figure 2.
_RUN_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
METRIC_LABELS = {"sst_acc": "dev accuracy", "para_acc": "dev accuracy",
                 "sts_pearson": "dev Pearson r"}


def step_losses(result: dict, task: str, window: int = 10) -> pd.DataFrame:
    """``step, loss, smoothed`` for one task; ``smoothed`` is NaN where the task paused.

    A gap longer than a fifth of an epoch (sequential ordering: the other tasks' turn) breaks
    the line, so the plot never draws a straight segment across steps the task did not train.
    """
    steps = pd.DataFrame(result["history"]["steps"])
    if steps.empty or task not in set(steps["task"]):
        return pd.DataFrame(columns=["step", "loss", "smoothed"])
    per_epoch = steps.groupby("epoch")["step"].count().max()
    mine = steps.loc[steps["task"] == task, ["step", "loss"]].reset_index(drop=True)
    mine["smoothed"] = mine["loss"].rolling(window, min_periods=1).mean()
    gaps = mine["step"].diff() > max(5, per_epoch / 5)
    breaks = mine.loc[gaps].assign(loss=np.nan, smoothed=np.nan, step=lambda f: f["step"] - 0.5)
    return pd.concat([mine, breaks]).sort_values("step").reset_index(drop=True)


def epoch_metrics(result: dict) -> pd.DataFrame:
    """``epoch`` (1-based) and each dev metric the run recorded."""
    frame = pd.DataFrame(result["history"]["epochs"])
    return frame.assign(epoch=frame["epoch"] + 1)


def plot_training_curves(runs: dict[str, dict], *, window: int = 10) -> Figure:
    """Figure 3: per-task training loss (smoothed) and dev metric per epoch, one line per run.

    Args:
        runs: label -> stored result (``run_or_load``), e.g. ``{"sequential": ..., "shuffled":
            ...}``; the tasks shown are those any run trained.
        window: rolling-mean width, in the task's own steps.

    Returns:
        The Figure (two rows: loss, dev metric; one column per task), neither shown nor saved.
    """
    if not runs:
        raise ValueError("runs is empty; give at least one stored result")
    trained = {t for r in runs.values() for t in r["config"]["tasks"]}
    tasks = [t for t in TASKS if t in trained]
    fig = Figure(figsize=(4.2 * len(tasks) + 0.6, 6.4), layout="constrained")
    axes = fig.subplots(2, len(tasks), squeeze=False)
    for i, (label, result) in enumerate(runs.items()):
        color = _RUN_COLORS[i % len(_RUN_COLORS)]
        epochs = epoch_metrics(result)
        for j, task in enumerate(tasks):
            if task not in result["config"]["tasks"]:
                continue
            losses = step_losses(result, task, window)
            axes[0, j].plot(losses["step"], losses["loss"], color=color, alpha=0.15, lw=0.8)
            axes[0, j].plot(losses["step"], losses["smoothed"], color=color, lw=1.6, label=label)
            metric = METRIC_OF[task]
            axes[1, j].plot(epochs["epoch"], epochs[metric], color=color, marker="o", lw=1.6,
                            label=label)
    for j, task in enumerate(tasks):
        axes[0, j].set_title(TASK_TITLES[task])
        axes[0, j].set_xlabel("training step (all tasks)")
        axes[0, j].set_ylabel(f"training loss (rolling mean of {window})")
        axes[1, j].set_xlabel("epoch")
        axes[1, j].set_ylabel(METRIC_LABELS[METRIC_OF[task]])
        axes[1, j].xaxis.get_major_locator().set_params(integer=True)
        for ax in axes[:, j]:
            ax.grid(alpha=0.3)
    handles, labels = axes[1, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=max(1, len(runs)),
               frameon=False)
    fig.suptitle("Training curves: per-task training loss and dev metric per epoch")
    return fig
