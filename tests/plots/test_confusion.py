from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from fake_runs import fake_result  # noqa: E402

from minbert_lab.analysis.errors import class_frequencies, confusion_frame  # noqa: E402
from minbert_lab.plots.confusion import plot_confusion, plot_sst_confusion  # noqa: E402


def test_sst_figure_has_matrix_and_frequency_bars():
    result = fake_result()
    frequencies = class_frequencies(result, [0, 1, 1, 2, 3, 3, 3, 4])
    fig = plot_sst_confusion(confusion_frame(result, "sst"), frequencies)
    matrix_ax, bars_ax = fig.axes[:2]
    assert len(matrix_ax.texts) == 25  # one annotation per cell
    assert matrix_ax.texts[1].get_text().startswith("2\n")  # two true-0s predicted as 1
    assert len(bars_ax.patches) == 15  # 5 classes x (train, dev true, dev predicted)
    assert [t.get_text() for t in bars_ax.get_legend().get_texts()] == [
        "train", "dev (true)", "dev (predicted)"]
    fig.canvas.draw()


def test_para_figure_is_two_by_two():
    fig = plot_confusion(confusion_frame(fake_result(), "para"), title="paraphrase")
    ax = fig.axes[0]
    assert len(ax.texts) == 4
    assert ax.get_title() == "paraphrase"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]


def test_frequencies_must_have_the_share_columns():
    result = fake_result()
    with pytest.raises(ValueError, match="lacks columns"):
        plot_sst_confusion(confusion_frame(result, "sst"),
                           class_frequencies(result, [0, 1]).drop(columns=["train share"]))
