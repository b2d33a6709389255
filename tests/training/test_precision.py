"""A run's numeric precision (``training/precision.py``): fp32 as is, or bf16 autocast, and a
warning when bf16 would be emulated on this CPU."""

from __future__ import annotations

import warnings

import pytest
import torch

import minbert_lab.training.precision as precision
from minbert_lab.training.precision import autocast, cpu_has_bf16, warn_if_slow_bf16

CPU = torch.device("cpu")


def test_fp32_is_no_autocast_and_bf16_multiplies_in_bf16():
    a, b = torch.randn(4, 8), torch.randn(8, 2)
    with autocast(CPU, "fp32"):
        assert not torch.is_autocast_enabled("cpu")
        assert (a @ b).dtype == torch.float32
    with autocast(CPU, "bf16"):
        assert torch.is_autocast_enabled("cpu")
        assert (a @ b).dtype == torch.bfloat16
    assert not torch.is_autocast_enabled("cpu")  # left as it was


def test_cpu_has_bf16_is_a_plain_bool():
    assert isinstance(cpu_has_bf16(), bool)


def test_only_bf16_on_a_cpu_without_it_warns(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    with pytest.warns(UserWarning, match="no native bf16") as caught:
        warn_if_slow_bf16(CPU, "bf16")
    assert "fp32" in str(caught[0].message)  # names the way out
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_slow_bf16(CPU, "fp32")
        warn_if_slow_bf16(torch.device("cuda"), "bf16")
        monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
        warn_if_slow_bf16(CPU, "bf16")
