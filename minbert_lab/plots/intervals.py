"""Means with 95% intervals over seeds, one row per config (a forest plot), from
``stats.significance.seed_summary``, with the paper's value marked where it gives one."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from minbert_lab.metrics import METRIC_NAMES


def plot_intervals(summary: pd.DataFrame, metrics: list[str] | tuple[str, ...], *,
                   title: str = "",
                   paper: Mapping[str, Mapping[str, float]] | None = None) -> Figure:
    """One panel per metric: each label's mean (dot) and interval (line) over seeds, and the
    paper's value (red cross) where ``paper`` gives one.

    Args:
        summary: ``seed_summary(results, metrics)`` (columns ``label``, ``<m>``, ``<m>_low``,
            ``<m>_high``).
        metrics: the metrics to show, one panel each.
        paper: label -> metric -> the paper's value.
    """
    missing = [c for m in metrics for c in (m, f"{m}_low", f"{m}_high") if c not in summary]
    if missing or "label" not in summary:
        raise ValueError(f"summary lacks columns {missing or ['label']}")
    labels = list(summary["label"])
    y = np.arange(len(labels))[::-1]
    fig = Figure(figsize=(3.6 * len(metrics) + 2.6, 0.45 * len(labels) + 1.6),
                 layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False, sharey=True)[0]
    for ax, metric in zip(axes, metrics):
        mean = summary[metric].to_numpy(float)
        low = summary[f"{metric}_low"].to_numpy(float)
        high = summary[f"{metric}_high"].to_numpy(float)
        has = ~np.isnan(low)
        ax.hlines(y[has], low[has], high[has], color="#4292c6", lw=2.2)
        ax.plot(mean, y, "o", color="#08306b", ms=5, label="ours: mean and 95% interval")
        theirs = np.array([(paper or {}).get(label, {}).get(metric, np.nan) for label in labels],
                          float)
        if not np.isnan(theirs).all():
            ax.plot(theirs, y, "x", color="#cb181d", ms=7, mew=2, label="the paper")
        ax.set_title(METRIC_NAMES.get(metric, metric))
        ax.grid(axis="x", alpha=0.3)
    shown = ([f"{label} (n={n})" for label, n in zip(labels, summary["seeds"])]
             if "seeds" in summary else labels)
    axes[0].set_yticks(y, shown)
    handles, names = axes[0].get_legend_handles_labels()
    if len(handles) > 1:
        fig.legend(handles, names, loc="outside lower center", ncols=2, frameon=False)
    seeds = int(summary["seeds"].max()) if "seeds" in summary else None
    fig.suptitle(title or f"Mean and 95% interval over up to {seeds} seeds (n: a row's seeds)")
    return fig
