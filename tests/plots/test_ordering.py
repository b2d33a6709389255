from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from minbert_lab.config import ORDERINGS  # noqa: E402
from minbert_lab.plots.ordering import plot_batch_composition, task_colors  # noqa: E402
from minbert_lab.training.ordering import compositions  # noqa: E402


def test_one_strip_per_ordering_with_consistent_task_colours():
    orders = compositions({"sst": 3, "para": 8, "sts": 4}, seed=0)
    fig = plot_batch_composition(orders)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == len(ORDERINGS)
    assert [ax.get_ylabel() for ax in fig.axes] == list(ORDERINGS)
    assert "batch composition per epoch" in fig._suptitle.get_text().lower()
    assert len(fig.legends) == 1
    assert len(fig.legends[0].get_texts()) == 3
    # Sequential: one unbroken run per task, side by side over steps 0..15.
    spans = []
    for bars in fig.axes[0].collections:
        (path,) = bars.get_paths()
        spans.append((path.vertices[:, 0].min(), path.vertices[:, 0].max()))
    assert spans == [(0, 3), (3, 11), (11, 15)]
    assert fig.axes[0].get_xlim() == (0, 15)
    fig.canvas.draw()  # renders without error


def test_a_task_keeps_its_colour_whatever_else_is_plotted():
    assert task_colors(["sts"])["sts"] == task_colors(["sst", "para", "sts"])["sts"]


def test_rejects_empty_or_malformed_input():
    with pytest.raises(ValueError, match="empty"):
        plot_batch_composition({})
    with pytest.raises(ValueError, match="lacks columns"):
        plot_batch_composition({"x": pd.DataFrame({"step": [0]})})
