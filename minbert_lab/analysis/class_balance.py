"""SST class balance: per-class recall and predicted class shares of plain vs re-balanced runs.

The paper traces its SST confusion matrix (mostly classes 1 and 3 predicted, never 0 or 4) to
class imbalance, and leaves re-balancing untested. These tables compare runs that differ only
in how they treat the imbalance: plain cross entropy, class-weighted cross entropy, and the
balanced sampler (``training.sampling``). If imbalance drives the confusion, re-balancing should
spread the predictions across classes and raise the recall of the rare ones (macro recall),
possibly at some cost in plain accuracy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from minbert_lab.analysis.banner import profile_caveat
from minbert_lab.analysis.errors import CLASSES, predictions_frame
from minbert_lab.analysis.significance import SST_MACRO_RECALL


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


def balance_reading(summary: pd.DataFrame, comparisons: pd.DataFrame, recall: pd.DataFrame,
                    *, reference: str, profile: str) -> str:
    """What re-balancing did to SST, computed from the tables.

    Args:
        summary: ``significance.seed_summary`` with ``sst_acc`` and ``sst_macro_recall``.
        comparisons: ``significance.compare`` of each re-balanced label against ``reference``.
        recall: ``recall_frame``.
        reference: the plain run's label.
    """
    lines = [f"*{profile_caveat(profile)}*", ""]
    rows = summary.set_index("label")
    for label in summary["label"]:
        never = recall[(recall["label"] == label) & (recall["predicted share"] == 0)]["class"]
        top = recall[recall["label"] == label].nlargest(2, "predicted share")["class"]
        lines.append(
            f"- **{label}**: accuracy {rows.loc[label, 'sst_acc']:.3f}, macro recall "
            f"{rows.loc[label, SST_MACRO_RECALL]:.3f} (means over {rows.loc[label, 'seeds']} "
            f"seeds); predicts {' and '.join(str(c) for c in top)} most often"
            + (f", never {', '.join(str(c) for c in never)}" if len(never) else
               ", every class at least sometimes") + ".")
    for c in comparisons.to_dict("records"):
        name = "accuracy" if c["metric"] == "sst_acc" else "macro recall"
        verdict = ("not significant" if c["verdict"] == "n.s." else
                   f"significant (p = {c['p_value']:.3f})")
        lines.append(f"- {c['a']} vs {reference}, {name}: {c['difference']:+.3f} "
                     f"[{c['low']:+.3f}, {c['high']:+.3f}] — {verdict}.")
    rare = recall[recall["true share"] <= recall.groupby("label")["true share"].transform(
        "median")]
    gains = rare.groupby("label", sort=False)["recall"].mean()
    if reference in gains:
        moved = [f"{label} {gains[label] - gains[reference]:+.3f}" for label in gains.index
                 if label != reference]
        if moved:
            lines.append("- Mean recall of the rarer classes (dev share at or below the median),"
                         f" change from {reference}: " + "; ".join(moved) + ".")
    lines.append("- The paper's claim, that imbalance drives the confusion, predicts that "
                 "re-balancing spreads the predictions and lifts the rare classes' recall; the "
                 "lines above say whether it did here, and by how much beyond noise.")
    return "\n".join(lines)
