from __future__ import annotations

import pytest

from minbert_lab.config import RunConfig, TaskConfig, default_task


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tasks": {}}, "tasks="),
        ({"tasks": {"nli": default_task("sst")}}, r"tasks='nli'.*\['sst', 'para', 'sts'\]"),
        ({"tasks": {"sst": TaskConfig("linear", "mnr")}}, r"tasks.sst.loss='mnr'.*'ce'"),
        ({"tasks": {"para": TaskConfig("CE", "cos_emb")}}, r"tasks.para.loss='cos_emb'.*\['bce'\]"),
        ({"tasks": {"sts": TaskConfig("S-XX", "mse")}}, r"tasks.sts.head='S-XX'.*'S-CD'"),
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
        ({"ordering_weight": 0}, "ordering_weight"),
        ({"precision": "fp16"}, r"precision='fp16'.*\['fp32', 'bf16'\]"),
    ],
)
def test_invalid_configs_name_the_field_and_choices(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RunConfig(**kwargs)


def test_resolved_takes_the_profile_values_and_digest_is_stable() -> None:
    config = RunConfig(profile="smoke")
    resolved = config.resolved()
    assert resolved.epochs == 1 and resolved.batch_size == 16
    assert config.digest() == resolved.digest() == RunConfig(profile="smoke").digest()
    assert config.digest() != RunConfig(profile="smoke", seed=1).digest()


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
    assert RunConfig(profile="quick").digest() != fp32.digest()
