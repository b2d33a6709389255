"""The optimizer a run trains with, and its learning rate at every step.

Two recipe levers live here, both off by default (a constant learning rate, one for every
parameter, as in the paper):

* ``lr_schedule="linear"``: the rate climbs linearly from 0 over the first ``warmup_ratio`` of
  the run's optimizer steps, then falls linearly to 0 at the last step (the BERT recipe,
  ``get_linear_schedule_with_warmup`` in transformers).
* ``layer_lr_decay=xi < 1``: lower layers move less (Sun et al., 2019, "How to Fine-Tune BERT
  for Text Classification?"; ELECTRA). Heads and the shared trunk train at ``lr``, encoder
  layer ``k`` of ``L`` at ``lr * xi ** (L - k)``, the embeddings at ``lr * xi ** (L + 1)``.

The rate is a pure function of the step (``lr_factor``), so a resumed run needs no scheduler
state: the optimizer's groups remember their base rate and each step sets its own.
"""

from __future__ import annotations

import re

import torch
from torch import nn

from minbert_lab.config import RunConfig

_LAYER = re.compile(r"^encoder\.encoder\.layer\.(\d+)\.")


def make_optimizer(model: nn.Module, config: RunConfig) -> torch.optim.Optimizer:
    """AdamW over ``param_groups``, fused where this build and device support it."""
    groups = param_groups(model, config)
    try:
        return torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay,
                                 fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)


def param_groups(model: nn.Module, config: RunConfig) -> list[dict]:
    """The trainable parameters grouped by learning rate (one group without layer decay).

    Each group carries ``base_lr``, its rate before the schedule's factor."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if config.layer_lr_decay == 1.0:
        return [{"params": [p for _, p in named], "lr": config.lr, "base_lr": config.lr}]
    layers = model.encoder.config.num_hidden_layers
    by_depth: dict[int, list[nn.Parameter]] = {}
    for name, p in named:
        by_depth.setdefault(_decay_power(name, layers), []).append(p)
    return [{"params": params, "lr": config.lr * config.layer_lr_decay ** power,
             "base_lr": config.lr * config.layer_lr_decay ** power}
            for power, params in sorted(by_depth.items())]


def _decay_power(name: str, layers: int) -> int:
    """How many times the layer decay applies to parameter ``name``."""
    if name.startswith("encoder.embeddings."):
        return layers + 1
    if match := _LAYER.match(name):
        return layers - int(match.group(1))
    if name.startswith("private_tops."):
        return 1  # a copy of the top layer trains at the top layer's rate
    return 0  # heads, shared trunk, pooler: the full rate


def lr_factor(step: int, total_steps: int, config: RunConfig) -> float:
    """The schedule's multiplier of the base rate at optimizer step ``step`` (from 0)."""
    if config.lr_schedule == "constant":
        return 1.0
    warmup = round(config.warmup_ratio * total_steps)
    if step < warmup:
        return (step + 1) / (warmup + 1)
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup))


def set_lr(optimizer: torch.optim.Optimizer, factor: float) -> None:
    """Sets every group's rate to its ``base_lr`` times ``factor``."""
    for group in optimizer.param_groups:
        group["lr"] = group["base_lr"] * factor
