"""The figures of notebook 04, drawn from synthetic runs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from fake_runs import fake_probed_result, fake_result  # noqa: E402

from minbert_lab.analysis.class_balance import recall_frame  # noqa: E402
from minbert_lab.analysis.conflict import conflict_frame  # noqa: E402
from minbert_lab.analysis.cost import cost_frame  # noqa: E402
from minbert_lab.config import TaskConfig  # noqa: E402
from minbert_lab.plots.class_balance import plot_class_balance  # noqa: E402
from minbert_lab.plots.conflict import plot_conflict  # noqa: E402
from minbert_lab.plots.cost import plot_score_vs_cost  # noqa: E402
from minbert_lab.plots.intervals import plot_intervals  # noqa: E402
from minbert_lab.stats.significance import seed_summary  # noqa: E402


def test_conflict_figure_has_a_curve_and_layer_bars_per_pair_and_run():
    frame = conflict_frame({"summed": [fake_probed_result(s) for s in range(2)],
                            "PCGrad": [fake_probed_result(s, shift=0.3) for s in range(2)]})
    fig = plot_conflict(frame)
    top, bottom = fig.axes[:3], fig.axes[3:6]
    assert [ax.get_title() for ax in top] == ["SST vs paraphrase", "SST vs similarity",
                                              "paraphrase vs similarity"]
    for ax in top:
        curves = [line for line in ax.lines if line.get_label() in ("summed", "PCGrad")]
        assert len(curves) == 2 and len(curves[0].get_xdata()) == 5  # 5 probe points
        assert len(ax.collections) == 2  # the seed bands
    for ax in bottom:
        assert len(ax.patches) == 2 * 3  # two runs x three layer groups
    fig.canvas.draw()
    with pytest.raises(ValueError, match="lacks columns"):
        plot_conflict(frame.drop(columns=["group"]))


def test_class_balance_figure_shows_recall_and_shares():
    fig = plot_class_balance(recall_frame({"plain": [fake_result()],
                                           "weighted": [fake_result(seed=1)]}))
    recall_ax, share_ax = fig.axes[:2]
    assert len(recall_ax.patches) == 2 * 5
    assert len(share_ax.patches) == 3 * 5  # dev truth + two runs' predictions
    assert [t.get_text() for t in share_ax.get_legend().get_texts()] == [
        "dev (true)", "predicted: plain", "predicted: weighted"]
    fig.canvas.draw()


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


def test_interval_figure_has_a_row_per_label():
    summary = seed_summary({"a": [fake_result(seed=s) for s in range(3)],
                            "b": [fake_result(seed=s) for s in range(2)]}, ["sst_acc", "score"])
    fig = plot_intervals(summary, ["sst_acc", "score"])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b"]
    assert fig.axes[1].get_title() == "composite score"
    fig.canvas.draw()
    with pytest.raises(ValueError, match="lacks columns"):
        plot_intervals(summary, ["para_acc"])
