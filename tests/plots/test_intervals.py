"""Notebook 04's seed-interval figure (``plots/intervals.py``), from synthetic runs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from fake_runs import fake_result  # noqa: E402

from minbert_lab.plots.intervals import plot_intervals  # noqa: E402
from minbert_lab.stats.significance import seed_summary  # noqa: E402


def test_interval_figure_has_a_row_per_label():
    summary = seed_summary({"a": [fake_result(seed=s) for s in range(3)],
                            "b": [fake_result(seed=s) for s in range(2)]}, ["sst_acc", "score"])
    fig = plot_intervals(summary, ["sst_acc", "score"])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b"]
    assert fig.axes[1].get_title() == "composite score"
    fig.canvas.draw()
    with pytest.raises(ValueError, match="lacks columns"):
        plot_intervals(summary, ["para_acc"])
