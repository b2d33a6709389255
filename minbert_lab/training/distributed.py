"""Data-parallel training over several processes: PyTorch DDP, launched by ``torchrun``.

``torchrun --nproc_per_node=N -m minbert_lab run ...`` starts N copies of the command with
``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` set; :func:`current_world` reads them (a plain
``python -m minbert_lab run`` is a world of one, and takes exactly the same code path).

Multitask batches follow MT-DNN's ``DistMultiTaskBatchSampler``: every rank builds the same
task order and the same global batches (both are seeded by the config), so at every step all
ranks train the same task, each on its own slice of that task's global batch (:func:`shard`).
The batch size stays the global one. A slice's loss is scaled so that DDP's average over ranks
is the mean over the global batch, even when the last batch does not split evenly.

Rank 0 (``World.main``) evaluates, prints and writes (results, cache entries, resume states);
the other ranks train and wait for it at a barrier.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from minbert_lab.data.batch import Batch, Encoded


@dataclass(frozen=True)
class World:
    """This process's place among the ranks of one run."""

    rank: int = 0
    local_rank: int = 0
    size: int = 1

    @property
    def main(self) -> bool:
        """The one rank that evaluates and writes."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def current_world() -> World:
    """The world torchrun describes in the environment (a world of one without it)."""
    env = os.environ
    return World(rank=int(env.get("RANK", 0)), local_rank=int(env.get("LOCAL_RANK", 0)),
                 size=int(env.get("WORLD_SIZE", 1)))


def start(world: World, device: torch.device) -> None:
    """Joins the process group (gloo on CPU, NCCL on GPUs) unless alone or already joined.

    On GPUs each rank first makes its own GPU the current one: NCCL's communicator, barriers
    and ``broadcast_object_list`` use the current device, and every rank would otherwise share
    ``cuda:0``."""
    if world.distributed and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")


def device_for(world: World, requested: str | None = None) -> torch.device:
    """The requested device, else this rank's GPU (``cuda:LOCAL_RANK``), else the CPU."""
    if requested:
        return torch.device(requested)
    if torch.cuda.is_available():
        return torch.device("cuda", world.local_rank)
    return torch.device("cpu")


def wrap(model: nn.Module, world: World, device: torch.device) -> nn.Module:
    """The module whose forward a training step calls: DDP around ``model`` when distributed.

    ``find_unused_parameters``: a multitask step trains one task, so the other heads get no
    gradient; DDP must be told, or it waits for them forever.
    """
    if not world.distributed:
        return model
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids,
                                               find_unused_parameters=True)


def shard(batch: Batch, world: World) -> tuple[Batch, float]:
    """This rank's slice of a global batch, and the factor its mean loss is scaled by.

    Rank ``r`` takes rows ``r, r + N, r + 2N, ...``. With the factor ``n_r * N / B`` DDP's mean
    of the ranks' gradients is the gradient of the mean loss over the ``B`` rows of the global
    batch. A rank left without a row (a last batch smaller than the world) trains a copy of row
    0 with factor 0, so that every rank still takes part in the step's all-reduce.
    """
    if not world.distributed:
        return batch, 1.0
    rows = list(range(world.rank, batch.size, world.size))
    scale = len(rows) * world.size / batch.size
    if not rows:
        rows, scale = [0], 0.0
    return select_rows(batch, rows), scale


def select_rows(batch: Batch, rows: list[int]) -> Batch:
    """The batch's examples ``rows`` (both sentences of a Siamese pair), padding trimmed."""
    index = torch.tensor(rows, device=batch.labels.device)
    copies = {"siamese": 2, "hybrid": 3}.get(batch.form, 1)  # rows per example
    sequences = torch.cat([index + k * batch.size for k in range(copies)])
    inputs = [t[sequences] for t in batch.inputs.tensors()]
    width = int(inputs[1].sum(1).max())  # the longest real sequence left
    return Batch(batch.task, batch.form, Encoded(*(t[:, :width] for t in inputs)),
                 batch.labels[index], [batch.ids[i] for i in rows])


def global_mean(value: float, rows: int, world: World, device: torch.device) -> float:
    """The mean over the global batch of a per-rank mean ``value`` over ``rows`` rows (summed
    on ``device``, the training device: NCCL reduces CUDA tensors only)."""
    if not world.distributed:
        return value
    total = torch.tensor([value * rows, float(rows)], dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return float(total[0] / total[1])


def broadcast(obj, world: World):
    """Rank 0's ``obj`` on every rank (``obj`` itself when alone)."""
    if not world.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()
