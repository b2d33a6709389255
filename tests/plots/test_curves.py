from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from fake_runs import fake_result  # noqa: E402

from minbert_lab.config import TaskConfig  # noqa: E402
from minbert_lab.plots.curves import epoch_metrics, plot_training_curves, step_losses  # noqa: E402


def test_one_line_per_run_in_every_panel():
    runs = {"sequential": fake_result(ordering="sequential"), "shuffled": fake_result(seed=1)}
    fig = plot_training_curves(runs)
    assert len(fig.axes) == 6  # loss and dev metric for three tasks
    titles = [ax.get_title() for ax in fig.axes[:3]]
    assert titles == ["SST-5 sentiment", "Quora paraphrase", "STS-B similarity"]
    for ax in fig.axes[:3]:
        assert len(ax.lines) == 2 * len(runs)  # raw (faint) and smoothed per run
    for ax in fig.axes[3:]:
        assert [line.get_label() for line in ax.lines] == list(runs)
        np.testing.assert_allclose(ax.lines[0].get_xdata(), [1, 2])  # 1-based epochs
    assert [t.get_text() for t in fig.legends[0].get_texts()] == list(runs)
    fig.canvas.draw()


def test_a_single_task_run_gets_one_column():
    fig = plot_training_curves({"sst only": fake_result({"sst": TaskConfig("linear", "ce")})})
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title() == "SST-5 sentiment"


def test_sequential_losses_break_between_a_tasks_turns():
    result = fake_result(ordering="sequential", batches=10)
    losses = step_losses(result, "para", window=3)
    assert losses["smoothed"].isna().sum() == 1  # one break: between epoch 1 and epoch 2
    assert losses["step"].is_monotonic_increasing
    trained = losses.dropna()
    assert len(trained) == 20
    assert trained["smoothed"].iloc[2] == pytest.approx(trained["loss"].iloc[:3].mean())
    assert step_losses(result, "nonexistent").empty


def test_epoch_metrics_are_one_based():
    assert epoch_metrics(fake_result(epochs=3))["epoch"].tolist() == [1, 2, 3]


def test_no_runs_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        plot_training_curves({})
