"""Profiler events land in the right category; a profiled step reports every column."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from benchmarks.profiling import COLUMNS, OPTIMIZER, OTHER, category, profile_step


def _event(name: str, parent=None):
    return SimpleNamespace(name=name, cpu_parent=parent)


def test_categories_by_op_name_and_optimizer_by_ancestry():
    assert category(_event("aten::addmm")) == "matmuls"
    assert category(_event("aten::_scaled_dot_product_flash_attention")) == "fused attention"
    assert category(_event("aten::random_")) == "dropout masks"
    assert category(_event("aten::native_layer_norm")) == "GELU, LayerNorm, softmax"
    assert category(_event("aten::copy_")) == OTHER
    step = _event("Optimizer.step#AdamW.step")
    assert category(_event("aten::mm", _event("aten::_fused_adamw_", step))) == OPTIMIZER


def test_profile_step_reports_every_column():
    a = torch.randn(64, 64)
    seconds = profile_step(lambda: a @ a, steps=1)
    assert list(seconds) == COLUMNS
    assert seconds["matmuls"] > 0 and all(s >= 0 for s in seconds.values())
