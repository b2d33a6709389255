"""Dev-set evaluation: each task's metric, the composite score, and per-example predictions."""

from __future__ import annotations

import numpy as np
import torch

from minbert_lab.data.collate import make_batches
from minbert_lab.heads import PairOutput
from minbert_lab.metrics import METRIC_OF, composite, task_metric
from minbert_lab.profiles import PROFILES
from minbert_lab.training.divergence import TrainingDivergedError
from minbert_lab.training.precision import autocast
from minbert_lab.training.trainee import Trainee


@torch.inference_mode()
def evaluate(trainee: Trainee, device: torch.device) -> tuple[dict, dict]:
    """Dev metrics per task and the composite; plus per-example predictions.

    Returns:
        ``metrics`` (``sst_acc`` ..., ``score``) and, per task, ``predictions``: ``ids``,
        ``labels``, ``predictions`` and ``scores`` (a confidence for error analysis), in the
        dev file's order; for a classification task with class logits (SST), also
        ``probabilities``, one list per example (what an ensemble averages).
    """
    metrics, predictions = {}, {}
    for task, data in trainee.dev.items():
        pred, score, probabilities = _run_on(trainee, task, data, device)
        if not np.isfinite(score).all():  # argmax of NaN logits would still give an accuracy
            raise TrainingDivergedError(f"the model's {task} dev outputs are not finite; the"
                                         " weights have diverged: lower the learning rate")
        labels = data.labels.numpy()
        metrics[METRIC_OF[task]] = task_metric(task, pred, labels)
        predictions[task] = {"ids": data.frame["id"].tolist(), "labels": labels.tolist(),
                             "predictions": pred.tolist(), "scores": score.tolist()}
        if probabilities is not None:
            predictions[task]["probabilities"] = probabilities.tolist()
    metrics["score"] = composite(metrics)
    return metrics, predictions


@torch.inference_mode()
def train_outputs(trainee: Trainee, device: torch.device, manifest: dict) -> dict[str, dict]:
    """The model's outputs on each task's training set, as a teacher hands them to a student
    (``RunConfig.distill``): per task ``outputs``, one per training example in the order the
    run read them (class probabilities for SST, the probability of a paraphrase for a
    BCE-trained pair score, the predicted similarity on 0-5 for STS), with ``examples`` and
    the prepared split's ``split_sha256``, which a student checks before it reads them by
    position (ids would double a Quora teacher's committed file)."""
    out = {}
    for task, data in trainee.train.items():
        pred, score, probabilities = _run_on(trainee, task, data, device)
        if probabilities is not None:
            values = probabilities.tolist()
        elif task == "para":
            values = (1 / (1 + np.exp(-score.astype(np.float64)))).tolist()
        else:
            values = pred.astype(np.float64).tolist()
        out[task] = {"split_sha256": manifest["splits"][f"{task}-train"]["sha256"],
                     "examples": len(data), "outputs": values}
    return out


def _run_on(trainee: Trainee, task: str, data, device: torch.device
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Predictions, confidences and (class logits' softmax, else ``None``) for every example
    of ``data``, in its file's order, with the model in eval mode."""
    config, model = trainee.config, trainee.model
    model.eval()
    eval_batch = PROFILES[config.profile].eval_batch_size
    preds, scores, probs, ids = [], [], [], []
    for batch in make_batches(data, trainee.forms[task], batch_size=eval_batch,
                              max_length=config.max_length, shuffle=False, bucket=True):
        batch = batch.to(device)
        with autocast(device, config.precision):
            outputs = model(batch)
        preds.append(trainee.losses[task].predict(outputs).float().cpu())
        scores.append(confidence(outputs).float().cpu())
        if isinstance(outputs, torch.Tensor):
            probs.append(outputs.float().softmax(-1).cpu())
        ids += batch.ids
    order = {i: k for k, i in enumerate(ids)}
    index = np.array([order[i] for i in data.frame["id"]])
    probabilities = torch.cat(probs).numpy()[index] if probs else None
    return torch.cat(preds).numpy()[index], torch.cat(scores).numpy()[index], probabilities


def confidence(outputs: torch.Tensor | PairOutput) -> torch.Tensor:
    """A per-example score for error analysis: max class probability, or the raw pair score."""
    if isinstance(outputs, torch.Tensor):
        return outputs.softmax(-1).max(-1).values
    return outputs.score
