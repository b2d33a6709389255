"""The do-nothing reference for the pair tasks: the pretrained checkpoint's own sentence
embeddings, compared by cosine, with no training at all.

all-MiniLM-L6-v2 was trained as a sentence encoder with *mean* pooling, so its mean-pooled
embeddings already rank similar sentences together. For STS the prediction is the cosine
(mapped onto 0-5 as ``2.5 * (cos + 1)``; Pearson r is the same either way). For paraphrase a
pair is called a paraphrase when its cosine passes a threshold, chosen to maximise accuracy on
the training split. A fine-tuned row that scores below this one has made the encoder worse.

Results are stored like runs, keyed by task, checkpoint, data and profile sizes, and
checksummed: ``results/<profile>/zero-shot-<task>-<key>.json`` for the committed profiles,
``runs/<profile>/...`` for the others.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

import minbert_lab
from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.data.collate import make_batches
from minbert_lab.data.splits import DATA_DIR, TaskSplit, load_manifest, load_split, split_note
from minbert_lab.encoder import MinBert
from minbert_lab.experiments.committed import RESULTS_DIR
from minbert_lab.experiments.store import RUNS_DIR, RunStore, load_result, save_result, stored_key
from minbert_lab.metrics import METRIC_OF, task_metric
from minbert_lab.model import pool
from minbert_lab.profiles import PROFILES

PAIR_TASKS = ("para", "sts")
LABEL = "zero-shot: pretrained embeddings (mean pooling, cosine)"
ENCODE_BATCH = 128


def zero_shot(task: str, *, profile: str = "quick", checkpoint: str = DEFAULT_CHECKPOINT,
              data_dir: Path | str = DATA_DIR, runs_dir: Path | str = RUNS_DIR,
              results_dir: Path | str = RESULTS_DIR) -> dict:
    """The stored zero-shot result of ``task`` for ``profile``'s dev set, computed if missing.

    Returns:
        A result shaped like a run's: ``metrics`` (the task metric and ``score``),
        ``predictions`` (the dev set's), ``threshold`` (paraphrase: the cosine cut-off chosen
        on the training split), ``timings`` and ``data``; ``cached`` says whether it was stored.
    """
    if task not in PAIR_TASKS:
        raise ValueError(f"task={task!r} is not valid; zero-shot cosine needs sentence pairs: "
                         f"choose one of {list(PAIR_TASKS)}")
    key = _key(task, profile, checkpoint, data_dir)
    path = RunStore(data_dir, runs_dir, results_dir).named_path(profile, f"zero-shot-{task}-{key}")
    if (stored := load_result(path)) is not None:
        return {**stored, "cached": True}
    result = _compute(task, profile=profile, checkpoint=checkpoint, data_dir=data_dir)
    save_result(path, result)
    return {**result, "cached": False}


def _compute(task: str, *, profile: str, checkpoint: str, data_dir: Path | str) -> dict:
    p = PROFILES[profile]
    started = time.perf_counter()
    encoder = MinBert.from_pretrained(checkpoint, add_pooler=False).eval()
    dev = load_split(task, "dev", checkpoint=checkpoint, limit=p.dev_examples,
                     data_dir=data_dir)
    dev_cos = pair_cosines(encoder, dev, max_length=p.max_length)
    labels = dev.labels.numpy()
    threshold = None
    if task == "para":
        train = load_split(task, "train", checkpoint=checkpoint, limit=p.train_examples,
                           data_dir=data_dir)
        threshold = best_threshold(pair_cosines(encoder, train, max_length=p.max_length),
                                   train.labels.numpy())
        predictions = (dev_cos > threshold).astype(float)
    else:
        predictions = 2.5 * (dev_cos + 1)
    metric = task_metric(task, predictions, labels)
    manifest = load_manifest(data_dir)
    return {
        "config": {"zero_shot": task, "checkpoint": checkpoint, "profile": profile,
                   "pooling": "mean"},
        "metrics": {METRIC_OF[task]: metric, "score": (metric + 1) / 2 if task == "sts"
                    else metric},
        "threshold": threshold,
        "predictions": {task: {"ids": dev.frame["id"].tolist(), "labels": labels.tolist(),
                               "predictions": np.round(predictions, 4).tolist(),
                               "scores": np.round(dev_cos, 4).tolist()}},
        "timings": {"seconds": time.perf_counter() - started},
        "environment": {"minbert_lab": minbert_lab.__version__,
                        "code_version": minbert_lab.code_version(), "torch": torch.__version__},
        "data": {"split_note": split_note(manifest), "dev_examples": {task: len(dev)}},
    }


@torch.inference_mode()
def pair_cosines(encoder: MinBert, data: TaskSplit, *, max_length: int) -> np.ndarray:
    """Cosine of the two sentences' mean-pooled embeddings, for every pair, in data order."""
    cos, ids = [], []
    for batch in make_batches(data, "siamese", batch_size=ENCODE_BATCH, max_length=max_length,
                              shuffle=False, bucket=True):
        mask = batch.inputs.attention_mask
        hidden = encoder.encode(encoder.embed(batch.inputs.input_ids,
                                              batch.inputs.token_type_ids), mask)  # (2B, T, H)
        pooled = pool(hidden, mask, "mean")  # (2B, H)
        a, b = pooled[: batch.size], pooled[batch.size:]
        cos.append(torch.nn.functional.cosine_similarity(a, b, dim=-1))  # (B,)
        ids += batch.ids
    order = {i: k for k, i in enumerate(ids)}
    return torch.cat(cos).numpy()[[order[i] for i in data.frame["id"]]]


def best_threshold(cosines: np.ndarray, labels: np.ndarray) -> float:
    """The cut-off ``t`` maximising the accuracy of ``cos > t`` (midway between neighbours)."""
    order = np.argsort(cosines)
    sorted_cos, sorted_labels = cosines[order], labels[order]
    # Cutting after position k calls the k+1 lowest negative: count right calls for every k.
    negatives_below = np.cumsum(sorted_labels == 0)
    positives_above = sorted_labels.sum() - np.cumsum(sorted_labels)
    correct = negatives_below + positives_above
    k = int(np.argmax(correct))
    upper = sorted_cos[k + 1] if k + 1 < len(sorted_cos) else sorted_cos[k] + 1e-6
    return float((sorted_cos[k] + upper) / 2)


def _key(task: str, profile: str, checkpoint: str, data_dir: Path | str) -> str:
    p = PROFILES[profile]
    return stored_key({"task": task, "checkpoint": checkpoint, "train": p.train_examples,
                       "dev": p.dev_examples, "max_length": p.max_length}, data_dir, length=16)
