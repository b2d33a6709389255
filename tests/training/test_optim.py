from __future__ import annotations

import dataclasses

import pytest
import torch
from smoke_configs import SST_SMOKE

from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.encoder import MinBert
from minbert_lab.model import MultitaskModel
from minbert_lab.training.optim import lr_factor, make_optimizer, param_groups, set_lr

CONFIG = dataclasses.replace(SST_SMOKE, lr=1e-4).resolved()


@pytest.fixture(scope="module")
def model() -> MultitaskModel:
    return MultitaskModel.from_config(MinBert.from_pretrained("minilm-l6", add_pooler=False),
                                      CONFIG)


def test_constant_schedule_keeps_the_rate() -> None:
    assert {lr_factor(s, 10, CONFIG) for s in range(10)} == {1.0}


def test_linear_schedule_warms_up_then_decays_to_zero() -> None:
    config = dataclasses.replace(CONFIG, lr_schedule="linear", warmup_ratio=0.2)
    factors = [lr_factor(s, 10, config) for s in range(10)]
    assert factors[:2] == pytest.approx([1 / 3, 2 / 3])  # 2 warmup steps, never a zero step
    assert factors[2] == 1.0 and factors[2:] == sorted(factors[2:], reverse=True)
    assert factors[-1] == pytest.approx(1 / 8) and lr_factor(10, 10, config) == 0.0


def test_without_layer_decay_one_group_holds_every_parameter(model: MultitaskModel) -> None:
    (group,) = param_groups(model, CONFIG)
    assert len(group["params"]) == len(list(model.parameters())) and group["lr"] == 1e-4


def test_layer_decay_lowers_the_rate_with_depth(model: MultitaskModel) -> None:
    config = dataclasses.replace(CONFIG, layer_lr_decay=0.5)
    groups = param_groups(model, config)
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))
    rate = {id(p): g["lr"] for g in groups for p in g["params"]}
    named = dict(model.named_parameters())
    layers = model.encoder.config.num_hidden_layers
    assert rate[id(named["heads.sst.to_logits.weight"])] == 1e-4
    top = next(p for n, p in named.items() if n.startswith(f"encoder.encoder.layer.{layers - 1}."))
    bottom = next(p for n, p in named.items() if n.startswith("encoder.encoder.layer.0."))
    assert rate[id(top)] == pytest.approx(1e-4 * 0.5)
    assert rate[id(bottom)] == pytest.approx(1e-4 * 0.5 ** layers)
    assert rate[id(named["encoder.embeddings.word_embeddings.weight"])] == pytest.approx(
        1e-4 * 0.5 ** (layers + 1))
    optimizer = make_optimizer(model, config)
    set_lr(optimizer, 0.5)
    assert max(g["lr"] for g in optimizer.param_groups) == pytest.approx(5e-5)


@pytest.mark.parametrize(("change", "message"), [
    ({"lr_schedule": "cosine"}, r"lr_schedule='cosine'.*\['constant', 'linear'\]"),
    ({"warmup_ratio": 0.1}, "warmup_ratio needs lr_schedule='linear'"),
    ({"lr_schedule": "linear", "warmup_ratio": 1.0}, "warmup_ratio=1.0"),
    ({"layer_lr_decay": 0.0}, "layer_lr_decay=0.0"),
    ({"layer_lr_decay": 1.5}, "layer_lr_decay=1.5"),
])
def test_invalid_levers_name_the_field(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RunConfig(**change)


def test_a_smoke_run_with_every_lever_trains(data_dir) -> None:
    from minbert_lab.training.loop import train

    plain_config = dataclasses.replace(SST_SMOKE, epochs=2)
    config = dataclasses.replace(
        plain_config, tasks={"sst": TaskConfig("linear", "cross_entropy", "rdrop", 1.0)},
        lr_schedule="linear", warmup_ratio=0.25, layer_lr_decay=0.9)
    result = train(config, data_dir=data_dir, progress=False)
    plain = train(plain_config, data_dir=data_dir, progress=False)
    assert torch.isfinite(torch.tensor([s["loss"] for s in result["history"]["steps"]])).all()
    assert result["history"]["steps"] != plain["history"]["steps"]
