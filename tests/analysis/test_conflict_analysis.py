"""Conflict, class-balance, cost and claim tables and their readings, on synthetic runs."""

from __future__ import annotations

import pandas as pd
import pytest
from fake_runs import MULTITASK, fake_probed_result, fake_result

from minbert_lab.analysis.claims import claims_reading, claims_table
from minbert_lab.analysis.class_balance import (
    balance_reading,
    per_class_recall,
    recall_frame,
    recall_table,
)
from minbert_lab.analysis.conflict import (
    conflict_frame,
    conflict_reading,
    conflict_summary,
    layer_table,
)
from minbert_lab.analysis.cost import cost_frame, cost_reading, encoding
from minbert_lab.analysis.significance import SST_MACRO_RECALL, compare, seed_summary
from minbert_lab.analysis.verdicts import comparison_reading, projection_rate
from minbert_lab.config import TaskConfig
from minbert_lab.experiments.grids import table4


def _probed() -> dict[str, list[dict]]:
    return {"plain": [fake_probed_result(s) for s in range(3)],
            "pcgrad": [fake_probed_result(s, shift=0.2, surgery=True) for s in range(3)]}


def test_conflict_summary_and_reading_follow_the_probe():
    frame = conflict_frame(_probed())
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
    assert "SST's gradient agrees *less*" in text
    assert "SST vs paraphrase" in text and "*layer 1*" in text
    assert "in 2 of 2 runs the 95% intervals of both SST pairs lie entirely below" in text


def test_conflict_frame_refuses_runs_without_a_probe():
    with pytest.raises(ValueError, match="conflict_probes > 0"):
        conflict_frame({"x": [fake_result()]})


def test_projection_rate_counts_projected_gradients():
    runs = _probed()
    assert projection_rate(runs["pcgrad"]) == pytest.approx(0.5)
    assert projection_rate(runs["plain"]) is None
    summary = seed_summary(runs, ["score"])
    tests = compare(runs, [("pcgrad", "plain")], ["score"], resamples=50)
    text = comparison_reading(summary, tests, profile="smoke", results=runs)
    assert "PCGrad projected 50%" in text and "not significant" in text


def test_per_class_recall_and_balance_reading():
    recall = per_class_recall(fake_result())
    assert recall["recall"].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]
    assert recall["predicted share"].tolist() == [0.0, 0.5, 0.0, 0.5, 0.0]
    results = {"plain CE": [fake_result(seed=s) for s in range(2)],
               "balanced": [fake_result(seed=s) for s in range(2)]}
    frame = recall_frame(results)
    assert recall_table(frame).columns.tolist() == ["label", *(f"recall {c}" for c in range(5))]
    summary = seed_summary(results, ["sst_acc", SST_MACRO_RECALL])
    tests = compare(results, [("balanced", "plain CE")], ["sst_acc", SST_MACRO_RECALL],
                    resamples=50)
    text = balance_reading(summary, tests, frame, reference="plain CE", profile="smoke")
    assert "never 0, 2, 4" in text and "not significant" in text


def test_cost_frame_names_the_encoding_and_throughput():
    siamese = fake_result({"para": TaskConfig("S-CD", "bce")})
    cross = fake_result({"para": TaskConfig("CE", "bce")})
    multitask = fake_result(MULTITASK)
    for result, speed in ((siamese, 40.0), (cross, 20.0), (multitask, 10.0)):
        result["timings"] = {"train_seconds": 4.0, "eval_seconds": 1.0,
                             "train_examples_per_second": speed}
        result["data"] = {"dev_examples": {t: 10 for t in result["config"]["tasks"]}}
        result["model"] = {"parameters": 1000}
    frame = cost_frame({"S-CD": siamese, "CE": cross, "all": multitask})
    assert frame["encoding"].tolist() == ["Siamese", "cross-encoder", "cross-encoder"]
    assert frame["metric"].tolist() == ["para_acc", "para_acc", "score"]
    assert frame["train s/epoch"].tolist() == [2.0, 2.0, 2.0]  # 2 evaluated epochs
    assert frame["eval examples/s"].tolist() == [20.0, 20.0, 60.0]
    text = cost_reading(frame)
    assert "Siamese 2.00x the cross-encoder's throughput" in text
    assert encoding({"sst": {"head": "linear"}}) == "none"


def test_claims_are_tested_with_the_bootstrap():
    labels = [row.label for row in table4("smoke")]
    results = {label: [fake_result(MULTITASK, seed=s) for s in range(2)] for label in labels}
    claims = claims_table(results, "4", profile="smoke", resamples=50)
    assert len(claims) == 3
    assert set(claims["verdict"]) == {"not significant"}  # identical predictions
    assert claims.loc[0, "paper"] == pytest.approx(0.731 - 0.539)
    text = claims_reading(claims)
    assert "2 seeds" in text and "3 not significant" in text
    assert isinstance(claims, pd.DataFrame)
