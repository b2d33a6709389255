from __future__ import annotations

import dataclasses

import pytest

from minbert_lab.config import Ordering, RunConfig, TaskConfig, default_task
from minbert_lab.experiments.store import key_form

MULTI = {"sst": default_task("sst"), "para": default_task("para")}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tasks": {}}, "tasks="),
        ({"tasks": {"nli": default_task("sst")}}, r"tasks='nli'.*\['sst', 'para', 'sts'\]"),
        ({"tasks": {"sst": TaskConfig("linear", "mnr")}}, r"tasks.sst.loss='mnr'.*'cross_entropy'"),
        ({"tasks": {"para": TaskConfig("CE", "cos_emb")}},
         r"tasks.para.loss='cosine_embedding'.*\['bce'\]"),
        ({"tasks": {"sts": TaskConfig("S-XX", "mse")}},
         r"tasks.sts.head='S-XX'.*'siamese_concat_diff'.*S-CD"),
        ({"tasks": {"sst": TaskConfig("linear", "ce", "dropconnect")}}, r"regularizer.*'smart'"),
        ({"tasks": {"sst": TaskConfig("linear", "ce", "l2", -1.0)}}, "reg_weight=-1.0"),
        ({"profile": "huge"}, r"profile='huge'.*'smoke'"),
        ({"dropout": 1.5}, r"dropout=1.5"),
        ({"dropout": -0.1}, r"dropout=-0.1"),
        ({"ordering": "random"}, r"ordering='random'.*'round_robin'"),
        ({"epochs": 0}, "epochs=0"),
        ({"batch_size": -4}, "batch_size=-4"),
        ({"lr": -1e-5}, "lr=-1e-05"),
        ({"lr": 0.0}, "lr=0.0"),
        ({"max_length": 4}, "max_length=4"),
        ({"pooling": "max"}, r"pooling='max'.*'mean'"),
        ({"seed": -1}, "seed=-1"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"ordering": Ordering("weighted", weight=0)}, "ordering.weight"),
        ({"precision": "fp16"}, r"precision='fp16'.*\['fp32', 'bf16'\]"),
        ({"tasks_per_step": "two"}, r"tasks_per_step='two'.*\['one', 'all'\]"),
        ({"tasks_per_step": "all"}, r"tasks_per_step='all'.*ordering='shuffled'.*round_robin"),
        ({"gradient_surgery": "mgda"}, r"gradient_surgery='mgda'.*\['none', 'pcgrad'\]"),
        ({"tasks": MULTI, "ordering": "round_robin", "gradient_surgery": "pcgrad"},
         r"gradient_surgery='pcgrad'.*tasks_per_step='all'"),
        ({"ordering": "round_robin", "tasks_per_step": "all", "gradient_surgery": "pcgrad"},
         "two or more tasks"),
        ({"tasks": MULTI, "conflict_probes": -1}, "conflict_probes=-1"),
        ({"conflict_probes": 3}, "conflict_probes needs two or more tasks"),
        ({"tasks": {"sts": TaskConfig("CE", "mse", sampler="balanced")}},
         r"tasks.sts.sampler='balanced'.*\['sst', 'para'\]"),
        ({"tasks": {"sst": TaskConfig("linear", "ce", sampler="random")}},
         r"tasks.sst.sampler='random'.*\['uniform', 'balanced'\]"),
    ],
)
def test_invalid_configs_name_the_field_and_choices(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RunConfig(**kwargs)


def test_resolved_takes_the_profile_values_and_the_key_form_is_stable() -> None:
    config = RunConfig(profile="smoke")
    resolved = config.resolved()
    assert resolved.epochs == 1 and resolved.batch_size == 16
    assert key_form(config) == key_form(resolved) == key_form(RunConfig(profile="smoke"))
    assert key_form(config) != key_form(RunConfig(profile="smoke", seed=1))


def test_round_trip_through_a_dict() -> None:
    config = RunConfig(tasks={"sst": default_task("sst"), "para": TaskConfig("S-CS", "mnr")},
                       ordering="weighted", shared_trunk=True)
    assert RunConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown RunConfig fields"):
        RunConfig.from_dict({**config.to_dict(), "momentum": 0.9})


def test_precision_comes_from_the_profile_unless_given() -> None:
    assert RunConfig(profile="smoke").resolved().precision == "fp32"
    assert RunConfig(profile="quick").resolved().precision == "bf16"
    assert RunConfig(profile="quick", precision="fp32").resolved().precision == "fp32"
    fp32 = RunConfig(profile="quick", precision="fp32")
    assert key_form(RunConfig(profile="quick")) != key_form(fp32)


def test_dicts_round_trip_and_stored_flat_dicts_still_read() -> None:
    config = RunConfig(tasks=MULTI, profile="smoke")
    plain = config.to_dict()
    assert RunConfig.from_dict(plain) == config
    stored = {**{k: v for k, v in plain.items() if k != "ordering"}, "ordering": "weighted",
              "ordering_task": "sst", "ordering_weight": 3.0, "ordering_temperature": 2.0,
              "pad_to": None, "tasks": {"sst": {"head": "linear", "loss": "ce"},
                                        "para": {"head": "CE", "loss": "bce"}}}
    assert RunConfig.from_dict(stored) == dataclasses.replace(
        config, ordering=Ordering("weighted", weight=3.0))
    surgery = RunConfig(tasks=MULTI, profile="smoke", ordering="round_robin",
                        tasks_per_step="all", gradient_surgery="pcgrad", conflict_probes=5)
    written = surgery.to_dict()
    assert (written["tasks_per_step"], written["gradient_surgery"],
            written["conflict_probes"]) == ("all", "pcgrad", 5)
    assert RunConfig.from_dict(written) == surgery
    assert key_form(surgery) != key_form(config)
    balanced = RunConfig(tasks={"sst": TaskConfig("linear", "ce", sampler="balanced")})
    assert balanced.to_dict()["tasks"]["sst"]["sampler"] == "balanced"
    assert RunConfig.from_dict(balanced.to_dict()) == balanced
    assert key_form(balanced) != key_form(RunConfig(tasks={"sst": TaskConfig("linear", "ce")}))
