"""Written verdicts of a seeded comparison (e.g. PCGrad vs shuffled batches), computed from
``significance.seed_summary`` and ``significance.compare``, and how often PCGrad operated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from minbert_lab.analysis.banner import profile_caveat
from minbert_lab.analysis.readings import METRIC_NAMES

NAMES = {**METRIC_NAMES, "sst_macro_recall": "SST macro recall"}


def projection_rate(results: Sequence[dict]) -> float | None:
    """Share of (step, task) gradients PCGrad projected at least once, over ``results``' runs;
    ``None`` for runs without surgery."""
    entries = [s for r in results for s in r["history"]["steps"] if "projected" in s]
    if not entries:
        return None
    return sum(s["projected"] > 0 for s in entries) / len(entries)


def comparison_reading(summary: pd.DataFrame, comparisons: pd.DataFrame, *, profile: str,
                       results: Mapping[str, Sequence[dict]] | None = None) -> str:
    """Each label's means with intervals, then each bootstrap comparison's verdict.

    Args:
        summary: ``seed_summary(results, metrics)``.
        comparisons: ``compare(results, pairs, metrics)``.
        results: the runs, to report how often PCGrad projected (optional).
    """
    metrics = [m for m in NAMES if m in summary.columns]
    lines = [f"*{profile_caveat(profile)}*", ""]
    for row in summary.to_dict("records"):
        parts = [f"{NAMES[m]} {row[m]:.3f}{_bounds(row[f'{m}_low'], row[f'{m}_high'])}"
                 for m in metrics]
        lines.append(f"- **{row['label']}** ({row['seeds']} seeds): " + "; ".join(parts) + ".")
    for c in comparisons.to_dict("records"):
        if c["verdict"] == "n.s.":
            verdict = "not significant: the data cannot tell them apart"
        else:
            verdict = f"significant, {c['verdict']} better (p = {c['p_value']:.3f})"
        lines.append(f"- {c['a']} − {c['b']}, {NAMES[c['metric']]}: {c['difference']:+.3f} "
                     f"[{c['low']:+.3f}, {c['high']:+.3f}] — {verdict}.")
    for label, runs in (results or {}).items():
        rate = projection_rate(runs)
        if rate is not None:
            lines.append(f"- {label}: PCGrad projected {rate:.0%} of the task gradients it "
                         "combined (the rest conflicted with no other task at that step).")
    return "\n".join(lines)


def _bounds(low: float, high: float) -> str:
    if pd.isna(low) or pd.isna(high):
        return ""
    return f" [{low:.3f}, {high:.3f}]"
