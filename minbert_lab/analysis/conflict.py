"""Reading the gradient-conflict probe: tables and the written verdict on the paper's
hypothesis that SST's gradient conflicts with the paraphrase and similarity gradients; and how
often PCGrad found a conflict to remove.

Input: runs made with ``conflict_probes > 0`` (``history["conflict"]``), by label and seed,
as ``experiments.seeds.run_seeds`` returns them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from minbert_lab.experiments.tables import profile_note
from minbert_lab.stats.significance import LEVEL, t_interval
from minbert_lab.training.conflict_probe import OVERALL

PAIR_NAMES = {"sst-para": "SST vs paraphrase", "sst-sts": "SST vs similarity",
              "para-sts": "paraphrase vs similarity"}


def conflict_frame(results: Mapping[str, Sequence[dict]]) -> pd.DataFrame:
    """Every probe measurement: ``label, seed, step, progress, pair, group, cosine``.

    Raises:
        ValueError: a run without probe measurements (``conflict_probes`` was 0).
    """
    frames = []
    for label, runs in results.items():
        for result in runs:
            records = result["history"].get("conflict")
            if not records:
                raise ValueError(f"run {label!r} (seed {result['config']['seed']}) has no "
                                 "conflict probe; train it with conflict_probes > 0")
            frames.append(pd.DataFrame(records).assign(label=label,
                                                        seed=result["config"]["seed"]))
    frame = pd.concat(frames, ignore_index=True)
    frame["cosine"] = frame["cosine"].astype(float)
    columns = ["label", "seed", "step", "progress", "pair", "group", "cosine"]
    return frame[columns]


def projection_rate(results: Sequence[dict]) -> float | None:
    """Share of (step, task) gradients PCGrad projected at least once, over ``results``' runs;
    ``None`` for runs without surgery."""
    entries = [s for r in results for s in r["history"]["steps"] if "projected" in s]
    if not entries:
        return None
    return sum(s["projected"] > 0 for s in entries) / len(entries)


def conflict_summary(frame: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Per label and task pair, over all shared parameters: the cosine averaged over the run's
    probe points, its mean and interval over seeds, and the share of probe points (all seeds)
    where the two tasks conflict (cosine < 0)."""
    overall = frame[frame["group"] == OVERALL]
    rows = []
    for (label, pair), part in overall.groupby(["label", "pair"], sort=False):
        per_seed = part.groupby("seed")["cosine"].mean()
        mean, low, high = t_interval(per_seed.to_numpy(), level)
        rows.append({"label": label, "pair": pair, "seeds": len(per_seed),
                     "mean cosine": round(mean, 4), "low": round(low, 4),
                     "high": round(high, 4),
                     "share of probes in conflict": round(float((part["cosine"] < 0).mean()), 3),
                     "first probe": round(float(part[part["step"] == part["step"].min()]
                                                ["cosine"].mean()), 4),
                     "last probe": round(float(part[part["step"] == part["step"].max()]
                                               ["cosine"].mean()), 4)})
    return pd.DataFrame(rows)


def layer_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean cosine (all probe points and seeds) per layer group (rows, in model order) and
    ``label / pair`` (columns)."""
    table = frame.pivot_table(index="group", columns=["label", "pair"], values="cosine",
                              aggfunc="mean", sort=False)
    return table.round(4)


def conflict_reading(summary: pd.DataFrame, layers: pd.DataFrame, profile: str) -> str:
    """The hypothesis checked against the probe, computed from ``conflict_summary`` and
    ``layer_table``."""
    lines = [f"*{profile_note(profile)}.*", ""]
    for label, part in summary.groupby("label", sort=False):
        shown = "; ".join(
            f"{PAIR_NAMES.get(r['pair'], r['pair'])} {r['mean cosine']:+.3f}"
            f"{_interval(r['low'], r['high'])}" for r in part.to_dict("records"))
        lines.append(f"- **{label}** — mean cosine over training (95% interval over "
                     f"{int(part['seeds'].max())} seeds): {shown}.")
    per_pair = summary.groupby("pair", sort=False)[["mean cosine",
                                                    "share of probes in conflict"]].mean()
    sst_pairs = [p for p in per_pair.index if p.startswith("sst-")]
    others = [p for p in per_pair.index if not p.startswith("sst-")]
    if sst_pairs and others:
        cosines = per_pair["mean cosine"]
        sst_mean, other_mean = cosines[sst_pairs].mean(), cosines[others].mean()
        negative = [PAIR_NAMES.get(p, p) for p in cosines.index if cosines[p] < 0]
        if negative:
            conflict = f"on average the gradients conflict for {', '.join(negative)}"
        else:
            conflict = "no pair's gradients conflict on average (every mean cosine is positive)"
        compare = ("SST's gradient agrees *less* with the others than the paraphrase and "
                   "similarity gradients agree with each other" if sst_mean < other_mean else
                   "SST's gradient agrees with the others at least as well as the paraphrase and "
                   "similarity gradients agree with each other")
        lines.append(f"- **The paper's hypothesis** (SST conflicts with the pair tasks): "
                     f"{conflict}; {compare} (mean cosine of SST's pairs {sst_mean:+.3f}, of "
                     f"the other pair {other_mean:+.3f}, averaged over the runs shown).")
        separated = [label for label, part in summary.groupby("label", sort=False)
                     if _below(part.set_index("pair"), sst_pairs, others)]
        lines.append(f"- Beyond seed noise: in {len(separated)} of {summary['label'].nunique()} "
                     "runs the 95% intervals of both SST pairs lie entirely below the interval "
                     "of the paraphrase–similarity pair"
                     + (f" ({', '.join(separated)})." if separated else "."))
        shares = per_pair["share of probes in conflict"]
        lines.append("- Share of probe points with a negative cosine (averaged over the runs): "
                     + "; ".join(f"{PAIR_NAMES.get(p, p)} {v:.0%}" for p, v in shares.items())
                     + ".")
    if not layers.empty:
        groups = [g for g in layers.index if g != "overall"]
        if groups:
            lowest = layers.loc[groups].mean(axis=1)
            lines.append(f"- **Where in the encoder:** agreement is lowest in *{lowest.idxmin()}* "
                         f"(mean cosine {lowest.min():+.3f}) and highest in *{lowest.idxmax()}* "
                         f"({lowest.max():+.3f}), averaged over pairs and runs.")
    lines.append("- The probe measures raw task gradients on fixed probe batches, before any "
                 "surgery: PCGrad changes the path the model takes, so a difference between "
                 "the runs' curves is the effect of that path, not of the projection itself.")
    return "\n".join(lines)


def _interval(low: float, high: float) -> str:
    if pd.isna(low) or pd.isna(high):
        return " (one seed: no interval)"
    return f" [{low:+.3f}, {high:+.3f}]"


def _below(part: pd.DataFrame, lower: list[str], upper: list[str]) -> bool:
    """Whether every ``lower`` pair's interval ends below every ``upper`` pair's interval."""
    if not set(lower + upper) <= set(part.index):
        return False
    highs, lows = part.loc[lower, "high"], part.loc[upper, "low"]
    return bool(highs.notna().all() and lows.notna().all() and highs.max() < lows.min())
