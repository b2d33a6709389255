"""Notebook 04's score-against-cost figure (``plots/cost.py``), from synthetic runs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from fake_runs import fake_result  # noqa: E402

from minbert_lab.analysis.cost import cost_frame  # noqa: E402
from minbert_lab.config import TaskConfig  # noqa: E402
from minbert_lab.plots.cost import plot_score_vs_cost  # noqa: E402


def test_cost_figure_has_a_panel_per_group_and_labels_each_point():
    runs = {}
    for label, head in (("S-CD", "S-CD"), ("CE", "CE")):
        result = fake_result({"para": TaskConfig(head, "bce")})
        result["data"] = {"dev_examples": {"para": 10}}
        runs[label] = result
    fig = plot_score_vs_cost(cost_frame(runs))
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "Quora paraphrase"
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["0", "1"]  # cost-table rows
    fig.canvas.draw()


def test_missing_columns_and_no_runs_are_refused():
    result = fake_result({"para": TaskConfig("CE", "bce")})
    result["data"] = {"dev_examples": {"para": 10}}
    frame = cost_frame({"CE": result})
    with pytest.raises(ValueError, match=r"lacks columns \['encoding'\]"):
        plot_score_vs_cost(frame.drop(columns=["encoding"]))
    with pytest.raises(ValueError, match="empty"):
        plot_score_vs_cost(frame.iloc[:0])
