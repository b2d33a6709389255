"""Notebook 04's seed-interval figure (``plots/intervals.py``), from synthetic runs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from fake_runs import fake_result  # noqa: E402

from minbert_lab.plots.intervals import plot_intervals  # noqa: E402
from minbert_lab.stats.significance import seed_summary  # noqa: E402


def test_interval_figure_has_a_row_per_label():
    summary = seed_summary({"a": [fake_result(seed=s) for s in range(3)],
                            "b": [fake_result(seed=s) for s in range(2)]}, ["sst_acc", "score"])
    fig = plot_intervals(summary, ["sst_acc", "score"])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a (n=3)", "b (n=2)"]
    assert fig.axes[1].get_title() == "composite score"
    fig.canvas.draw()
    with pytest.raises(ValueError, match="lacks columns"):
        plot_intervals(summary, ["para_acc"])


def test_the_papers_values_are_marked_where_it_gives_them():
    summary = seed_summary({"a": [fake_result(seed=s) for s in range(3)],
                            "b": [fake_result(seed=0)]}, ["sst_acc"])
    fig = plot_intervals(summary, ["sst_acc"], paper={"a": {"sst_acc": 0.5}})
    crosses = [line for line in fig.axes[0].get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1
    xs, ys = crosses[0].get_data()
    assert list(xs[~np.isnan(xs)]) == [0.5]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "ours: mean and 95% interval", "the paper"]
