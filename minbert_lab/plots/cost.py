"""Score against cost: each run's main metric against its training time, by how it encodes
sentence pairs (from ``analysis.cost.cost_frame``)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

ENCODING_STYLE = {"cross-encoder": ("#d95f02", "o"), "Siamese": ("#1b9e77", "s"),
                  "mixed": ("#7570b3", "D"), "none": ("#666666", "^")}
METRIC_LABELS = {"sst_acc": "dev accuracy", "para_acc": "dev accuracy",
                 "sts_pearson": "dev Pearson r", "score": "dev composite score"}


def plot_score_vs_cost(frame: pd.DataFrame, *, cost: str = "train s/epoch") -> Figure:
    """One panel per group (task, or multitask): metric (y) against ``cost`` (x), one point per
    run, coloured and shaped by pair encoding, numbered by its row in ``frame`` (the labels
    are too long to print beside the points).

    Args:
        frame: ``cost_frame(results)``.
        cost: the cost column on the x axis, e.g. ``"train s/epoch"``.
    """
    missing = {"label", "group", "encoding", "metric", "value", cost} - set(frame.columns)
    if missing:
        raise ValueError(f"frame lacks columns {sorted(missing)}")
    groups = list(dict.fromkeys(frame["group"]))
    if not groups:
        raise ValueError("frame is empty; give at least one run")
    fig = Figure(figsize=(4.8 * len(groups) + 0.4, 4.6), layout="constrained")
    axes = fig.subplots(1, len(groups), squeeze=False)[0]
    for ax, group in zip(axes, groups):
        part = frame[frame["group"] == group]
        for kind, rows in part.groupby("encoding", sort=False):
            color, marker = ENCODING_STYLE.get(kind, ENCODING_STYLE["none"])
            ax.scatter(rows[cost], rows["value"], color=color, marker=marker, s=45, label=kind,
                       zorder=3)
            for index, row in rows.iterrows():  # the cost table's row number: labels are long
                ax.annotate(str(index), (row[cost], row["value"]), fontsize=7.5,
                            xytext=(4, 3), textcoords="offset points")
        ax.set_title(group)
        ax.set_xlabel(cost)
        ax.set_ylabel(METRIC_LABELS.get(part["metric"].iloc[0], part["metric"].iloc[0]))
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=8)
    fig.suptitle("Score against cost (numbers: rows of the cost table; timings as stored with "
                 "each result)")
    return fig
