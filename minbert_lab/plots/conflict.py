"""Gradient conflict over training: the cosine between task gradients on the shared encoder,
per task pair, one line per run (e.g. with and without PCGrad), from ``conflict_frame``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from minbert_lab.analysis.conflict import PAIR_NAMES
from minbert_lab.training.conflict_probe import OVERALL

_RUN_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02")


def plot_conflict(frame: pd.DataFrame) -> Figure:
    """Top row: the overall cosine per task pair against the share of training done (mean over
    seeds; the band spans the seeds). Bottom row: the mean cosine of each layer group.

    Args:
        frame: ``analysis.conflict.conflict_frame(results)``.

    Returns:
        The Figure (two rows, one column per task pair), neither shown nor saved.
    """
    missing = {"label", "seed", "progress", "pair", "group", "cosine"} - set(frame.columns)
    if missing:
        raise ValueError(f"frame lacks columns {sorted(missing)}")
    if frame.empty:
        raise ValueError("frame is empty; give the probe records of at least one run")
    pairs = list(dict.fromkeys(frame["pair"]))
    labels = list(dict.fromkeys(frame["label"]))
    groups = [g for g in dict.fromkeys(frame["group"]) if g != OVERALL]
    fig = Figure(figsize=(4.6 * len(pairs) + 0.4, 7.4), layout="constrained")
    axes = fig.subplots(2, len(pairs), squeeze=False)
    width = 0.8 / len(labels)
    for i, label in enumerate(labels):
        color = _RUN_COLORS[i % len(_RUN_COLORS)]
        runs = frame[frame["label"] == label]
        for j, pair in enumerate(pairs):
            overall = runs[(runs["pair"] == pair) & (runs["group"] == OVERALL)]
            by_point = overall.groupby("progress")["cosine"]
            x = by_point.mean().index.to_numpy()
            axes[0, j].plot(x, by_point.mean().to_numpy(), color=color, marker="o", ms=3.5,
                            lw=1.6, label=label)
            if overall["seed"].nunique() > 1:
                axes[0, j].fill_between(x, by_point.min().to_numpy(), by_point.max().to_numpy(),
                                        color=color, alpha=0.15, lw=0)
            layered = runs[runs["pair"] == pair].groupby("group")["cosine"].mean()
            values = [layered.get(g, np.nan) for g in groups]
            axes[1, j].bar(np.arange(len(groups)) + (i - (len(labels) - 1) / 2) * width,
                           values, width, color=color, label=label)
    for j, pair in enumerate(pairs):
        top, bottom = axes[0, j], axes[1, j]
        top.set_title(PAIR_NAMES.get(pair, pair))
        top.set_xlabel("share of training done")
        top.set_ylabel("cosine of task gradients (shared encoder)")
        bottom.set_xticks(range(len(groups)), groups, rotation=45, ha="right")
        bottom.set_ylabel("mean cosine over training")
        for ax in (top, bottom):
            ax.axhline(0, color="black", lw=0.8)
            ax.grid(alpha=0.3)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=max(1, len(labels)),
               frameon=False)
    fig.suptitle("Gradient conflict between tasks (below 0: a step for one task works against "
                 "the other)")
    return fig
