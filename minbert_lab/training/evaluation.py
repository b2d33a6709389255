"""Dev-set evaluation: each task's metric, the composite score, and per-example predictions."""

from __future__ import annotations

import numpy as np
import torch

from minbert_lab.config import PROFILES
from minbert_lab.data.collate import make_batches
from minbert_lab.heads import PairOutput
from minbert_lab.metrics import METRIC_OF, composite, task_metric
from minbert_lab.training.divergence import TrainingDivergedError
from minbert_lab.training.precision import autocast
from minbert_lab.training.trainee import Trainee


@torch.inference_mode()
def evaluate(trainee: Trainee, device: torch.device) -> tuple[dict, dict]:
    """Dev metrics per task and the composite; plus per-example predictions.

    Returns:
        ``metrics`` (``sst_acc`` ..., ``score``) and, per task, ``predictions``: ``ids``,
        ``labels``, ``predictions`` and ``scores`` (a confidence for error analysis), in the
        dev file's order.
    """
    config, model = trainee.config, trainee.model
    model.eval()
    metrics, predictions = {}, {}
    eval_batch = PROFILES[config.profile].eval_batch_size
    for task, data in trainee.dev.items():
        preds, scores, ids = [], [], []
        for batch in make_batches(data, trainee.forms[task], batch_size=eval_batch,
                                  max_length=config.max_length, shuffle=False, bucket=True):
            batch = batch.to(device)
            with autocast(device, config.precision):
                outputs = model(batch)
            preds.append(trainee.losses[task].predict(outputs).float().cpu())
            scores.append(confidence(outputs).float().cpu())
            ids += batch.ids
        pred = torch.cat(preds).numpy()
        order = {i: k for k, i in enumerate(ids)}
        index = np.array([order[i] for i in data.frame["id"]])
        pred, score = pred[index], torch.cat(scores).numpy()[index]
        if not np.isfinite(score).all():  # argmax of NaN logits would still give an accuracy
            raise TrainingDivergedError(f"the model's {task} dev outputs are not finite; the"
                                         " weights have diverged: lower the learning rate")
        labels = data.labels.numpy()
        metrics[METRIC_OF[task]] = task_metric(task, pred, labels)
        predictions[task] = {"ids": data.frame["id"].tolist(), "labels": labels.tolist(),
                             "predictions": pred.tolist(), "scores": score.tolist()}
    metrics["score"] = composite(metrics)
    return metrics, predictions


def confidence(outputs: torch.Tensor | PairOutput) -> torch.Tensor:
    """A per-example score for error analysis: max class probability, or the raw pair score."""
    if isinstance(outputs, torch.Tensor):
        return outputs.softmax(-1).max(-1).values
    return outputs.score
