"""One optimizer step: each task's forward and loss, backward, checks, clipping, the update.

A step trains one task's batch, or one batch of every task (``tasks_per_step="all"``, whose
gradients ``StepGradients`` sums or combines by PCGrad). Nothing non-finite ever reaches the
weights: a NaN or infinite loss or gradient stops the run with ``TrainingDivergedError``
naming the step, the task and the batch, before the optimizer moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from minbert_lab.training.distributed import global_mean, shard
from minbert_lab.training.divergence import clip_gradients, diverged, nonfinite_gradient
from minbert_lab.training.precision import autocast
from minbert_lab.training.surgery import StepGradients
from minbert_lab.training.task_batches import CyclingBatches
from minbert_lab.training.trainee import Trainee


def train_step(trainee: Trainee, optimizer: torch.optim.Optimizer, gradients: StepGradients,
               tasks: Sequence[str], sources: Mapping[str, CyclingBatches], *,
               device: torch.device, step: int, epoch: int) -> tuple[dict[str, float], dict, int]:
    """Trains the next batch of each of ``tasks`` in one optimizer step.

    In a distributed run each rank trains its slice of each global batch (see
    ``training.distributed``); the losses returned are the global batches' means, and the
    examples counted are the global batches'.

    Returns:
        The loss of each task, how many other tasks' gradients each was projected against
        (PCGrad; empty otherwise), and the number of examples trained.

    Raises:
        TrainingDivergedError: a loss or the gradient norm is not finite (see
            ``training.divergence``).
    """
    config, model = trainee.config, trainee.model
    optimizer.zero_grad(set_to_none=True)
    losses, examples = {}, 0
    for task in tasks:
        whole = sources[task].next()
        batch, scale = shard(whole, trainee.world)
        batch = batch.to(device)
        with autocast(device, config.precision):
            loss = trainee.loss(task, batch, step)
        if not torch.isfinite(loss):
            raise diverged(f"loss became {loss.item()}", step, epoch, task, batch)
        gradients.backward(task, loss if scale == 1.0 else loss * scale)
        losses[task] = global_mean(loss.item(), batch.size if scale else 0, trainee.world,
                                   device)
        examples += whole.size
    projected = gradients.apply()
    if not clip_gradients(model, config.grad_clip):
        raise diverged(f"gradient of {nonfinite_gradient(model)} became non-finite", step, epoch,
                       "+".join(tasks), batch)
    optimizer.step()
    if trainee.bregman is not None:
        trainee.bregman.update()
    return losses, projected, examples
