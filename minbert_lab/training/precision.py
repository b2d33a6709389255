"""Numeric precision of a run: fp32, or bf16 autocast, and whether this CPU does bf16 natively."""

from __future__ import annotations

import contextlib
import warnings

import torch


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """bf16 autocast (matmuls in bf16; losses, reductions and the optimizer in fp32) when
    ``precision`` is ``"bf16"``; plain fp32, which parity is measured in, otherwise."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def cpu_has_bf16() -> bool:
    """Whether this CPU runs bf16 matmuls natively (AVX512-BF16 or AMX); without it, oneDNN
    emulates them, several times slower than fp32."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def warn_if_slow_bf16(device: torch.device, precision: str) -> None:
    """bf16 on a CPU without native support is emulated, and slower than fp32."""
    if precision == "bf16" and device.type == "cpu" and not cpu_has_bf16():
        warnings.warn("this CPU has no native bf16 (AVX512-BF16 or AMX), so bf16 autocast"
                      " will be slower than fp32; pass precision='fp32' (--precision fp32)",
                      stacklevel=3)
