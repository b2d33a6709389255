"""What each result cost, beside its score."""

from __future__ import annotations

from facts import says
from fake_runs import MULTITASK, fake_result

from minbert_lab.analysis.cost import cost_frame, cost_reading, encoding
from minbert_lab.config import TaskConfig


def test_cost_frame_names_the_encoding_and_throughput():
    siamese = fake_result({"para": TaskConfig("S-CD", "bce")})
    cross = fake_result({"para": TaskConfig("CE", "bce")})
    multitask = fake_result(MULTITASK)
    for result, speed in ((siamese, 40.0), (cross, 20.0), (multitask, 10.0)):
        result["timings"] = {"train_seconds": 4.0, "eval_seconds": 1.0,
                             "train_examples_per_second": speed}
        result["data"] = {"dev_examples": {t: 10 for t in result["config"]["tasks"]}}
        result["model"] = {"parameters": 1000}
    cross["timings"]["train_cpu_seconds"] = 7.0  # stored since CPU time was kept
    cross["environment"] = {"cpu": "AMD EPYC"}  # stored since the CPU was kept
    frame = cost_frame({"S-CD": siamese, "CE": cross, "all": multitask})
    assert frame["encoding"].tolist() == ["Siamese", "cross-encoder", "cross-encoder"]
    assert frame["metric"].tolist() == ["para_acc", "para_acc", "score"]
    assert frame["train s/epoch"].tolist() == [2.0, 2.0, 2.0]  # 2 evaluated epochs
    assert frame["train CPU s/epoch"].tolist()[1] == 3.5
    assert frame["train CPU s/epoch"].isna().tolist() == [True, False, True]
    assert frame["eval examples/s"].tolist() == [20.0, 20.0, 60.0]
    assert frame["CPU"].fillna("").tolist() == ["", "AMD EPYC", ""]
    text = cost_reading(frame)
    says(text, "Quora paraphrase", "Siamese", "2.00x", "cross-encoder", "throughput")
    assert encoding({"sst": {"head": "linear"}}) == "none"
