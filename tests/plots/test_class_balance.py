"""Notebook 04's SST class-balance figure (``plots/class_balance.py``), from synthetic runs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from fake_runs import fake_result  # noqa: E402

from minbert_lab.analysis.class_balance import recall_frame  # noqa: E402
from minbert_lab.plots.class_balance import plot_class_balance  # noqa: E402


def test_class_balance_figure_shows_recall_and_shares():
    fig = plot_class_balance(recall_frame({"plain": [fake_result()],
                                           "weighted": [fake_result(seed=1)]}))
    recall_ax, share_ax = fig.axes[:2]
    assert len(recall_ax.patches) == 2 * 5
    assert len(share_ax.patches) == 3 * 5  # dev truth + two runs' predictions
    assert [t.get_text() for t in share_ax.get_legend().get_texts()] == [
        "dev (true)", "predicted: plain", "predicted: weighted"]
    fig.canvas.draw()


def test_a_frame_without_the_share_columns_is_refused():
    recall = recall_frame({"plain": [fake_result()]}).drop(columns=["true share"])
    with pytest.raises(ValueError, match=r"lacks columns \['true share'\]"):
        plot_class_balance(recall)
