"""The result a run returns and the cache stores (``training/record.py``), read from one smoke run
(the session's ``smoke_result``): plain JSON, with the config, the best epoch, and provenance."""

from __future__ import annotations

import json

import torch
from smoke_configs import MULTITASK_SMOKE

import minbert_lab
from minbert_lab.config import RunConfig


def test_a_record_has_every_part_and_is_plain_json(smoke_result: dict):
    assert set(smoke_result) == {"config", "metrics", "history", "predictions", "timings",
                                 "model", "environment", "data", "resumed_at_steps"}
    assert json.loads(json.dumps(smoke_result)) == smoke_result
    assert RunConfig.from_dict(smoke_result["config"]) == MULTITASK_SMOKE.resolved()
    assert smoke_result["resumed_at_steps"] == []  # trained in one go


def test_the_metrics_are_the_best_epochs(smoke_result: dict):
    epochs = smoke_result["history"]["epochs"]
    best = max(epochs, key=lambda e: e["score"])
    assert smoke_result["metrics"] == best
    assert set(smoke_result["history"]) == {"steps", "epochs"}  # no probe: no conflict records


def test_timings_model_environment_and_data_say_what_produced_it(smoke_result: dict):
    timings = smoke_result["timings"]
    assert timings["train_seconds"] > 0 and timings["eval_seconds"] > 0
    assert timings["train_cpu_seconds"] > 0  # pause-free, unlike the wall clock
    assert smoke_result["model"]["parameters"] > 20_000_000  # MiniLM-L6 and three heads
    environment = smoke_result["environment"]
    assert environment["minbert_lab"] == minbert_lab.__version__
    assert environment["torch"] == torch.__version__ and environment["device"] == "cpu"
    assert {"code_version", "threads", "python"} <= set(environment)
    assert environment["cpu"] == minbert_lab.cpu_model()  # the machine a timing comes from
    data = smoke_result["data"]
    assert data["train_examples"] == data["dev_examples"] == {"sst": 32, "para": 32, "sts": 32}
    assert set(data["truncated_train_examples"]) == {"sst", "para", "sts"}
    assert "quora-dev.csv" in data["split_note"]
