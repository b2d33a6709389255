"""The conflict probe: cosine 1 for identical tasks, -1 for opposite ones, groups, schedule."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from minbert_lab.training.conflict_probe import (
    OVERALL,
    ConflictProbe,
    group_slices,
    pairwise_cosines,
    parameter_group,
    probe_steps,
    task_gradients,
)


class _Tiny(nn.Module):
    """Names like the real model's shared parameters, plus heads."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.encoder = nn.ModuleDict({
            "embeddings": nn.Linear(4, 4),
            "encoder": nn.ModuleDict({"layer": nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])}),
        })
        self.dropout = nn.Dropout(0.5)
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 1), "b": nn.Linear(4, 1)})

    def shared_parameters(self):
        return [(n, p) for n, p in self.named_parameters() if not n.startswith("heads.")]

    def forward(self, x: torch.Tensor, task: str) -> torch.Tensor:
        h = self.encoder["embeddings"](x)
        for layer in self.encoder["encoder"]["layer"]:
            h = torch.tanh(layer(self.dropout(h)))
        return self.heads[task](h).sum()


X = torch.randn(8, 4, generator=torch.Generator().manual_seed(1))


def test_layer_groups_follow_the_parameter_names():
    assert parameter_group("encoder.embeddings.word_embeddings.weight") == "embeddings"
    assert parameter_group("encoder.encoder.layer.11.output.dense.bias") == "layer 11"
    assert parameter_group("trunk.dense.weight") == "trunk"
    model = _Tiny()
    slices = group_slices(model.shared_parameters())
    assert list(slices) == ["embeddings", "layer 0", "layer 1"]
    assert slices["layer 1"].stop == sum(p.numel() for _, p in model.shared_parameters())


def test_two_identical_tasks_report_cosine_one():
    model = _Tiny().eval()
    params = [p for _, p in model.shared_parameters()]
    gradients = task_gradients({"a": lambda: model(X, "a"), "a again": lambda: model(X, "a")},
                               params)
    records = pairwise_cosines(gradients, group_slices(model.shared_parameters()))
    assert [r["group"] for r in records] == ["embeddings", "layer 0", "layer 1", OVERALL]
    assert {r["pair"] for r in records} == {"a-a again"}
    for record in records:
        assert record["cosine"] == pytest.approx(1.0, abs=1e-5)


def test_opposite_tasks_report_minus_one_and_a_zero_gradient_reports_none():
    model = _Tiny().eval()
    params = [p for _, p in model.shared_parameters()]
    gradients = task_gradients({"a": lambda: model(X, "a"), "b": lambda: -model(X, "a"),
                                "c": lambda: 0 * model(X, "a")}, params)
    records = pairwise_cosines(gradients, group_slices(model.shared_parameters()))
    overall = {r["pair"]: r["cosine"] for r in records if r["group"] == OVERALL}
    assert overall["a-b"] == pytest.approx(-1.0, abs=1e-5)
    assert overall["a-c"] is None and overall["b-c"] is None


def test_probe_steps_are_evenly_spaced_and_include_both_ends():
    assert probe_steps(64, 9) == [0, 8, 16, 24, 32, 40, 48, 56, 64]
    assert probe_steps(2, 9) == [0, 1, 2]
    assert probe_steps(10, 1) == [0]
    assert probe_steps(10, 0) == []


def test_probe_measures_only_at_its_steps_in_eval_mode_and_leaves_grads_alone():
    model = _Tiny().train()
    model(X, "a").backward()
    before = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    probe = ConflictProbe(model, {"a": X, "b": X}, lambda task, x: model(x, task),
                          steps=[0, 4], total_steps=4)
    rng_state = torch.get_rng_state()
    probe.at(1)
    assert probe.records == []
    probe.at(0)
    probe.at(4)
    assert {r["step"] for r in probe.records} == {0, 4}
    assert {r["progress"] for r in probe.records} == {0.0, 1.0}
    # eval mode: dropout off, so the same point measures the same cosine, and no random draws
    first = [r["cosine"] for r in probe.records if r["step"] == 0]
    assert first == [r["cosine"] for r in probe.records if r["step"] == 4]
    assert torch.equal(rng_state, torch.get_rng_state())
    assert model.training
    for name, grad in before.items():
        assert torch.equal(dict(model.named_parameters())[name].grad, grad)


def test_probe_needs_two_tasks():
    with pytest.raises(ValueError, match="two or more"):
        ConflictProbe(_Tiny(), {"a": X}, lambda t, x: x.sum(), steps=[0], total_steps=1)
