"""SST class balance: per-class recall and predicted class shares of plain vs re-balanced runs.

The paper traces its SST confusion matrix (mostly classes 1 and 3 predicted, never 0 or 4) to
class imbalance, and leaves re-balancing untested. These tables compare runs that differ only
in how they treat the imbalance: plain cross entropy, class-weighted cross entropy, and the
balanced sampler (``training.sampling``). If imbalance drives the confusion, re-balancing should
spread the predictions across classes and raise the recall of the rare ones (macro recall),
possibly at some cost in plain accuracy. The written verdict is
``analysis.verdicts.balance_reading``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from minbert_lab.analysis.errors import CLASSES, predictions_frame


def per_class_recall(result: dict) -> pd.DataFrame:
    """One run's SST dev predictions by class: ``class, support, recall, true share,
    predicted share``."""
    preds = predictions_frame(result, "sst").astype({"label": int, "prediction": int})
    rows = []
    for k in CLASSES["sst"]:
        truth = preds["label"] == k
        rows.append({"class": k, "support": int(truth.sum()),
                     "recall": float((preds.loc[truth, "prediction"] == k).mean())
                     if truth.any() else np.nan,
                     "true share": float(truth.mean()),
                     "predicted share": float((preds["prediction"] == k).mean())})
    return pd.DataFrame(rows)


def recall_frame(results: Mapping[str, Sequence[dict]]) -> pd.DataFrame:
    """``label, class, recall, recall_std, predicted share, true share`` (means over seeds),
    the input of ``plots.class_balance.plot_class_balance``."""
    frames = []
    for label, runs in results.items():
        per_seed = pd.concat([per_class_recall(r) for r in runs])
        grouped = per_seed.groupby("class")
        frames.append(pd.DataFrame({
            "label": label,
            "class": list(CLASSES["sst"]),
            "recall": grouped["recall"].mean().round(4).to_numpy(),
            "recall_std": grouped["recall"].std().round(4).to_numpy(),
            "predicted share": grouped["predicted share"].mean().round(4).to_numpy(),
            "true share": grouped["true share"].mean().round(4).to_numpy(),
        }))
    return pd.concat(frames, ignore_index=True)


def recall_table(recall: pd.DataFrame) -> pd.DataFrame:
    """``recall_frame`` as one row per label, one recall column per class."""
    table = recall.pivot(index="label", columns="class", values="recall")
    table.columns = [f"recall {c}" for c in table.columns]
    order = list(dict.fromkeys(recall["label"]))
    return table.loc[order].reset_index()
