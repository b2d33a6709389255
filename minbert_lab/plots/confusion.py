"""The paper's Figures 4 and 5: confusion matrices of the best multitask model, and for SST the
predicted vs true class frequencies against the training distribution.

The functions take the DataFrames of ``minbert_lab.analysis.errors`` (``confusion_frame``,
``class_frequencies``) and only draw them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

FREQUENCY_COLUMNS = ("train share", "dev (true) share", "dev (predicted) share")
FREQUENCY_COLORS = ("#bdbdbd", "#4292c6", "#ef6548")


def draw_confusion(ax: Axes, matrix: pd.DataFrame, *, title: str = "") -> None:
    """A count heatmap: true classes down, predicted across; each cell shows count and row %."""
    counts = matrix.to_numpy()
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros(counts.shape, float), where=rows > 0)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (i, j), n in np.ndenumerate(counts):
        ax.text(j, i, f"{n}\n{shares[i, j]:.0%}", ha="center", va="center", fontsize=8.5,
                color="white" if shares[i, j] > 0.6 else "black")
    ax.set_xticks(range(counts.shape[1]), [str(c) for c in matrix.columns])
    ax.set_yticks(range(counts.shape[0]), [str(c) for c in matrix.index])
    ax.set_xlabel(f"{matrix.columns.name or 'predicted'} class")
    ax.set_ylabel(f"{matrix.index.name or 'true'} class")
    ax.set_title(title or matrix.attrs.get("title", ""))
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="share of the true class")


def plot_sst_confusion(matrix: pd.DataFrame, frequencies: pd.DataFrame) -> Figure:
    """Figure 4: the SST 5x5 confusion matrix, beside the class shares in training, dev and
    the model's dev predictions.

    Args:
        matrix: ``errors.confusion_frame(result, "sst")``.
        frequencies: ``errors.class_frequencies(result, train_labels)``.
    """
    missing = set(FREQUENCY_COLUMNS) - set(frequencies.columns)
    if missing:
        raise ValueError(f"frequencies lacks columns {sorted(missing)}")
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1, 1.1))
    draw_confusion(left, matrix, title=f"Confusion matrix — {matrix.attrs.get('title', 'SST')}")
    x = np.arange(len(frequencies))
    width = 0.8 / len(FREQUENCY_COLUMNS)
    for k, (column, color) in enumerate(zip(FREQUENCY_COLUMNS, FREQUENCY_COLORS)):
        right.bar(x + (k - 1) * width, frequencies[column], width, color=color,
                  label=column.removesuffix(" share"))
    right.set_xticks(x, [str(c) for c in frequencies["class"]])
    right.set_xlabel("SST class (0 = very negative … 4 = very positive)")
    right.set_ylabel("share of examples")
    right.set_title("Class frequencies: training, dev, and our predictions")
    right.legend(frameon=False)
    right.grid(axis="y", alpha=0.3)
    fig.suptitle("SST-5 sentiment: where the best multitask model's predictions go")
    return fig


def plot_confusion(matrix: pd.DataFrame, *, title: str = "") -> Figure:
    """Figure 5 (and any other task's): one confusion matrix."""
    fig = Figure(figsize=(5.2, 4.4), layout="constrained")
    draw_confusion(fig.subplots(), matrix, title=title)
    return fig
