"""SST class balance: per-class recall, and predicted vs true class shares, for runs that
treat the class imbalance differently (from ``analysis.class_balance.recall_frame``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from minbert_lab.plots.confusion import FREQUENCY_COLORS

_RUN_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a")


def plot_class_balance(recall: pd.DataFrame) -> Figure:
    """Left: recall of each SST class per run (bars; the whisker is the spread over seeds).
    Right: the share of dev predictions going to each class per run, beside the true share.

    Args:
        recall: ``recall_frame(results)``: ``label, class, recall, recall_std,
            predicted share, true share``.
    """
    missing = {"label", "class", "recall", "predicted share", "true share"} - set(recall.columns)
    if missing:
        raise ValueError(f"recall lacks columns {sorted(missing)}")
    labels = list(dict.fromkeys(recall["label"]))
    classes = sorted(recall["class"].unique())
    x = np.arange(len(classes))
    fig = Figure(figsize=(12, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    width = 0.8 / len(labels)
    truth = recall.drop_duplicates("class").set_index("class")["true share"]
    right_width = 0.8 / (len(labels) + 1)
    right.bar(x - 0.4 + right_width / 2, truth.loc[classes].to_numpy(), right_width,
              color=FREQUENCY_COLORS[1], label="dev (true)")
    for i, label in enumerate(labels):
        rows = recall[recall["label"] == label].set_index("class").loc[classes]
        color = _RUN_COLORS[i % len(_RUN_COLORS)]
        std = rows["recall_std"].fillna(0).to_numpy() if "recall_std" in rows else None
        left.bar(x + (i - (len(labels) - 1) / 2) * width, rows["recall"].to_numpy(), width,
                 yerr=std, capsize=2, color=color, label=label)
        right.bar(x - 0.4 + (i + 1.5) * right_width, rows["predicted share"].to_numpy(),
                  right_width, color=color, label=f"predicted: {label}")
    for ax in (left, right):
        ax.set_xticks(x, [str(c) for c in classes])
        ax.set_xlabel("SST class (0 = very negative … 4 = very positive)")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(frameon=False, fontsize=8)
    left.set_ylabel("recall (dev)")
    left.set_ylim(0, 1)
    left.set_title("Per-class recall")
    right.set_ylabel("share of dev examples")
    right.set_title("Predicted vs true class frequencies")
    fig.suptitle("SST-5: does re-balancing the classes spread the predictions?")
    return fig
