"""The gradient-conflict probe: how far apart the tasks pull the shared encoder.

The paper explains SST's drop in multitask training by a conflict between the SST gradient and
the paraphrase and similarity gradients, without measuring it. The probe measures it: at
chosen points of training it takes each task's loss gradient with respect to the shared
parameters (encoder and shared trunk), on one fixed probe batch per task, and reports the
cosine similarity of every pair of tasks, per layer group and over all shared parameters. A
negative cosine is a conflict: a step for one task is, to first order, a step against the other.

The probe runs the model in eval mode (no dropout) on the same probe batches every time, so the
points of a curve differ only because the model changed. It draws no random numbers and leaves
``.grad`` alone (``torch.autograd.grad``), so a run trains exactly as it would without it.

Example:
    >>> gradients = task_gradients({"a": lambda: loss_a(), "b": lambda: loss_b()}, params)
    >>> pairwise_cosines(gradients, group_slices(named_params))
    [{'pair': 'a-b', 'group': 'embeddings', 'cosine': -0.12}, ..., {'group': 'overall', ...}]
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import torch
from torch import nn

from minbert_lab.data.batch import Batch
from minbert_lab.data.collate import make_batches
from minbert_lab.data.splits import TaskSplit

OVERALL = "overall"
PROBE_SEED = 7_919  # probe batches are drawn apart from the training batches' seeds


def parameter_group(name: str) -> str:
    """The layer group of a shared parameter: ``embeddings``, ``layer <i>`` or ``trunk``.

    Example:
        >>> parameter_group("encoder.encoder.layer.3.attention.self.query.weight")
        'layer 3'
    """
    layer = re.search(r"\blayer\.(\d+)\.", name)
    if layer:
        return f"layer {layer.group(1)}"
    if ".embeddings." in f".{name}":
        return "embeddings"
    return name.split(".")[0]  # "trunk", or whatever else a model shares


def group_slices(named: Sequence[tuple[str, nn.Parameter]]) -> dict[str, slice]:
    """Where each layer group's parameters sit in the flat gradient of ``named`` (in order).

    Raises:
        ValueError: a group whose parameters are not contiguous in ``named``.
    """
    slices: dict[str, slice] = {}
    offset = 0
    for name, p in named:
        group = parameter_group(name)
        start = slices[group].start if group in slices else offset
        if group in slices and slices[group].stop != offset:
            raise ValueError(f"parameters of group {group!r} are not contiguous ({name})")
        offset += p.numel()
        slices[group] = slice(start, offset)
    return slices


def task_gradients(losses: Mapping[str, Callable[[], torch.Tensor]],
                   params: Sequence[nn.Parameter]) -> dict[str, torch.Tensor]:
    """Each task's flat gradient with respect to ``params`` (zeros where a task does not reach
    a parameter), without touching ``.grad``."""
    gradients = {}
    for task, loss_fn in losses.items():
        grads = torch.autograd.grad(loss_fn(), params, allow_unused=True)
        gradients[task] = torch.cat([
            (g if g is not None else torch.zeros_like(p)).reshape(-1).float()
            for g, p in zip(grads, params)
        ])
    return gradients


def pairwise_cosines(gradients: Mapping[str, torch.Tensor],
                     groups: Mapping[str, slice]) -> list[dict]:
    """``pair, group, cosine`` for every pair of tasks and every group, plus ``"overall"``.

    The cosine is ``None`` where either gradient is zero on a group (no direction to compare).
    """
    records = []
    parts = {**groups, OVERALL: slice(None)}
    for a, b in itertools.combinations(gradients, 2):
        for group, part in parts.items():
            records.append({"pair": f"{a}-{b}", "group": group,
                            "cosine": cosine(gradients[a][part], gradients[b][part])})
    return records


def cosine(a: torch.Tensor, b: torch.Tensor) -> float | None:
    norms = a.norm() * b.norm()
    if norms == 0:
        return None
    return float(torch.dot(a, b) / norms)


def probe_steps(total_steps: int, probes: int) -> list[int]:
    """``probes`` evenly spaced points of a run of ``total_steps`` optimizer steps, counted as
    steps done: 0 is before training, ``total_steps`` after the last step."""
    if probes <= 0:
        return []
    if probes == 1:
        return [0]
    return sorted({round(i * total_steps / (probes - 1)) for i in range(probes)})


class ConflictProbe:
    """Measures task-gradient cosines at chosen steps of one run.

    Args:
        model: the multitask model (``shared_parameters()`` names what is compared).
        batches: one fixed probe batch per task, on the model's device.
        loss_of: ``loss_of(task, batch)``: the task's loss on ``batch`` (no regulariser: the
            probe compares what the tasks ask of the encoder).
        steps: the steps at which :meth:`at` measures (see :func:`probe_steps`).
        total_steps: the run's optimizer steps, to record each point's share of training.
    """

    def __init__(self, model: nn.Module, batches: Mapping[str, Batch],
                 loss_of: Callable[[str, Batch], torch.Tensor], *, steps: Iterable[int],
                 total_steps: int) -> None:
        if len(batches) < 2:
            raise ValueError("the conflict probe needs two or more tasks")
        named = model.shared_parameters()
        self.model, self.batches, self.loss_of = model, dict(batches), loss_of
        self.params = [p for _, p in named]
        self.groups = group_slices(named)
        self.steps, self.total_steps = set(steps), total_steps
        self.records: list[dict] = []

    def at(self, step: int) -> None:
        """Measures and keeps the cosines if ``step`` is a probe step."""
        if step not in self.steps:
            return
        was_training = self.model.training
        self.model.eval()
        try:
            losses = {task: (lambda t=task, b=batch: self.loss_of(t, b))
                      for task, batch in self.batches.items()}
            gradients = task_gradients(losses, self.params)
        finally:
            self.model.train(was_training)
        progress = step / self.total_steps if self.total_steps else 0.0
        for record in pairwise_cosines(gradients, self.groups):
            self.records.append({"step": step, "progress": progress, **record})


def probe_batches(train: Mapping[str, TaskSplit], forms: Mapping[str, str], *, batch_size: int,
                  max_length: int, seed: int) -> dict[str, Batch]:
    """One fixed batch per task for the probe: a seeded random draw (not length-bucketed, so
    it is a fair sample of the task's sentence lengths)."""
    return {task: make_batches(data, forms[task], batch_size=batch_size, max_length=max_length,
                               seed=PROBE_SEED + seed, bucket=False)[0]
            for task, data in train.items()}
