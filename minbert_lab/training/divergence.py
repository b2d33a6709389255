"""Guards against divergence: nothing NaN or infinite may reach the weights unnoticed.

A non-finite loss, gradient or dev output stops the run with ``TrainingDivergedError`` naming
where it happened (step, task, batch ids, or the parameter), before the optimizer moves, so the
last good resume state stays usable.
"""

from __future__ import annotations

import torch
from torch import nn

from minbert_lab.data.batch import Batch


class TrainingDivergedError(RuntimeError):
    """The loss, a gradient or the model's outputs became NaN or infinite."""


def diverged(what: str, step: int, epoch: int, task: str, batch: Batch) -> TrainingDivergedError:
    """The error that stops a run: what went non-finite, and where."""
    return TrainingDivergedError(
        f"{what} at step {step} (epoch {epoch + 1}, task {task}, batch ids {batch.ids[:3]}...);"
        " lower the learning rate or check the data"
    )


def clip_gradients(model: nn.Module, max_norm: float) -> bool:
    """Clips the gradients' total norm to ``max_norm`` (0: no clipping).

    Returns:
        False, leaving the gradients alone, when their norm is NaN or infinite: clipping would
        spread the NaN to every gradient, and one optimizer step would ruin every weight.
    """
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    norm = torch.nn.utils.get_total_norm(grads)
    if not torch.isfinite(norm):
        return False
    if max_norm:
        torch.nn.utils.clip_grads_with_norm_(model.parameters(), max_norm, norm)
    return True


def nonfinite_gradient(model: nn.Module) -> str:
    """The name of the first parameter whose gradient holds a NaN or infinity."""
    for name, p in model.named_parameters():
        if p.grad is not None and not torch.isfinite(p.grad).all():
            return name
    return "no parameter"  # only the norm overflowed: every gradient is finite but huge
