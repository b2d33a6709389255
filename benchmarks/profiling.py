"""Where a CPU step's time goes: ``torch.profiler``'s self time, summed by category of op."""

from __future__ import annotations

import statistics
from collections.abc import Callable

CATEGORIES = {  # by op name; "matmuls" are the linear layers' and attention's batched ones
    "matmuls": ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"),
    "fused attention": ("aten::_scaled_dot_product",),
    "dropout masks": ("aten::bernoulli_", "aten::random_", "aten::uniform_"),
    "GELU, LayerNorm, softmax": ("aten::gelu", "aten::native_layer_norm", "aten::_softmax",
                                 "aten::_log_softmax"),
}  # fmt: skip
OPTIMIZER = "optimizer"  # everything under Optimizer.step, whatever the op
OTHER = "other"  # copies, casts, adds, masks, gradient buffers, packing
COLUMNS = [*CATEGORIES, OPTIMIZER, OTHER]  # every category, in the report's order


def profile_step(step: Callable[[], None], steps: int) -> dict[str, float]:
    """Self CPU seconds per category (``COLUMNS``) for one call of ``step``: the median over
    ``steps`` calls.

    Medians per category rather than of the total: a burst of load from other work then spoils
    one step's numbers, not the table.
    """
    from torch.profiler import ProfilerActivity, profile

    per_step = []
    for _ in range(steps):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            step()
        totals: dict[str, float] = {}
        for event in prof.events():
            key = category(event)
            totals[key] = totals.get(key, 0.0) + event.self_cpu_time_total / 1e6
        per_step.append(totals)
    return {k: statistics.median(t.get(k, 0.0) for t in per_step) for k in COLUMNS}


def category(event) -> str:
    """The column a profiler event's self time goes to: ``OPTIMIZER`` for anything run under
    ``Optimizer.step``, else the first category whose prefix its op name has, else ``OTHER``."""
    parent = event
    while parent is not None:  # everything the optimizer runs, whatever the op
        if parent.name.startswith("Optimizer.step"):
            return OPTIMIZER
        parent = parent.cpu_parent
    for name, prefixes in CATEGORIES.items():
        if event.name.startswith(prefixes):
            return name
    return OTHER
