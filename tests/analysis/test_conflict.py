"""The gradient-conflict probe's tables and reading, and PCGrad's projection rate
(``analysis/conflict.py``; named apart from ``tests/training/test_conflict.py``)."""

from __future__ import annotations

import pytest
from facts import says
from fake_runs import fake_probed_result, fake_result

from minbert_lab.analysis.conflict import (
    conflict_frame,
    conflict_reading,
    conflict_summary,
    layer_table,
    projection_rate,
)


@pytest.fixture
def probed() -> dict[str, list[dict]]:
    return {"plain": [fake_probed_result(s) for s in range(3)],
            "pcgrad": [fake_probed_result(s, shift=0.2, surgery=True) for s in range(3)]}


def test_conflict_summary_and_reading_follow_the_probe(probed):
    frame = conflict_frame(probed)
    assert set(frame["pair"]) == {"sst-para", "sst-sts", "para-sts"}
    summary = conflict_summary(frame)
    row = summary[(summary["label"] == "plain") & (summary["pair"] == "sst-para")].iloc[0]
    assert row["mean cosine"] == pytest.approx(-0.2 + 0.01)  # seeds 0-2 add 0.00-0.02
    assert row["low"] < row["mean cosine"] < row["high"]
    assert row["share of probes in conflict"] == 1.0
    layers = layer_table(frame)
    assert list(layers.index[:3]) == ["embeddings", "layer 0", "layer 1"]
    text = conflict_reading(summary, layers, "smoke")
    assert "meaningless" in text
    # SST's pairs agree *less*: their mean cosine over both runs, then the other pair's
    says(text, "*less*", "-0.090", "+0.460")
    assert "SST vs paraphrase" in text
    says(text, "lowest", "*layer 1*", "+0.043")  # where in the encoder agreement is lowest
    says(text, "2 of 2 runs", "SST", "below")  # beyond seed noise, in every run


def test_conflict_frame_refuses_runs_without_a_probe():
    with pytest.raises(ValueError, match="conflict_probes > 0"):
        conflict_frame({"x": [fake_result()]})


def test_projection_rate_counts_projected_gradients(probed):
    assert projection_rate(probed["pcgrad"]) == pytest.approx(0.5)
    assert projection_rate(probed["plain"]) is None
