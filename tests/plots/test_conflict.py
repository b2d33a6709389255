"""Notebook 04's gradient-conflict figure (``plots/conflict.py``), from synthetic probed runs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from fake_runs import fake_probed_result  # noqa: E402

from minbert_lab.analysis.conflict import conflict_frame  # noqa: E402
from minbert_lab.plots.conflict import plot_conflict  # noqa: E402


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
