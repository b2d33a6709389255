"""Written verdicts: the prose under a table or a comparison, computed from its numbers, so it
always says what the numbers show, whatever profile produced them.

**One way to judge a claim.** Each comparison the paper's text makes (``CLAIMS``: "the
cross-encoder beats the Siamese heads") is tested by the verdict test of ``stats.significance``
(a hierarchical paired bootstrap: each config's seeds and the dev examples resampled together;
with one seed a side, the dev examples alone). :func:`reseed_table` puts a claim's verdict on one
seed beside its verdict on every stored seed. **One vocabulary.** A claim is
``REPRODUCED`` (significant, in the paper's direction), ``CONTRADICTED`` (significant, the other
way) or ``NOT_SIGNIFICANT``; a comparison of two configs names the better one or says
``NOT_SIGNIFICANT``. Every paper table's reading (:func:`table_reading`) and notebook 04's
(:func:`claims_reading`) use the same table of claims, :func:`claims_table`.

Every reading opens with what the profile's numbers are worth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from minbert_lab.analysis.conflict import projection_rate
from minbert_lab.analysis.overview import likely_reasons
from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.config import TASK_TITLES, TASKS
from minbert_lab.data.splits import load_manifest
from minbert_lab.experiments.grids import grid_rows
from minbert_lab.experiments.tables import profile_note
from minbert_lab.metrics import METRIC_NAMES, METRIC_OF, METRICS, SST_MACRO_RECALL
from minbert_lab.stats.significance import (
    LEVEL,
    NOT_SIGNIFICANT,
    BootstrapDifference,
    paired_bootstrap,
)

REPRODUCED, CONTRADICTED = "reproduced", "contradicted"


@dataclass(frozen=True)
class Claim:
    """A comparison the paper makes: ``better`` beats ``worse`` on ``metric``."""

    better: str
    worse: str
    metric: str
    text: str


CLAIMS = {
    "1": [
        Claim("cross entropy loss + SMART (lambda=3)", "cross entropy loss", "sst_acc",
              "SMART regularisation improves single-task SST"),
        Claim("cross entropy loss + L2", "cross entropy loss", "sst_acc",
              "L2 regularisation improves single-task SST"),
    ],
    "2": [
        Claim("CE + BCE", "S-CD + BCE", "para_acc",
              "the cross-encoder beats the Siamese concat-difference head"),
        Claim("CE + BCE", "S-CS + BCE", "para_acc",
              "the cross-encoder beats the Siamese cosine head"),
        Claim("S-CD + BCE", "S-CD + MNR", "para_acc", "BCE beats the MNR loss"),
        Claim("CE + BCE + L2", "CE + BCE", "para_acc", "L2 helps the cross-encoder"),
    ],
    "3": [
        Claim("CE + MSE", "S-CS + MSE", "sts_pearson",
              "the cross-encoder beats the Siamese cosine head"),
        Claim("S-CS + MSE", "S-CD + MSE", "sts_pearson",
              "the cosine head beats the concat-difference head"),
        Claim("S-CS + MSE", "S-CS + cos emb loss", "sts_pearson",
              "MSE beats the cosine embedding loss"),
    ],
    "4": [
        Claim("Shuffled batches + SST reg'd", "Sequential batches", "score",
              "shuffled batches beat sequential ones"),
        Claim("Shuffled batches + SST unreg'd", "Shuffled batches + SST reg'd", "sst_acc",
              "dropping SMART from SST helps SST in the multitask model"),
        Claim("Shuffled + SST unreg'd + shared linear", "Shuffled batches + SST unreg'd", "score",
              "a shared linear layer helps a little"),
    ],
    # The paper reports no dropout numbers, only that 0.1 "was the most consistent and
    # generally performed the best".
    "dropout": [Claim(f"{task} dropout 0.1", f"{task} dropout {p}", METRIC_OF[task],
                      f"{TASK_TITLES[task]}: dropout 0.1 beats {p}")
                for task in TASKS for p in (0.3, 0.5)],
}


def claim_verdict(difference: BootstrapDifference) -> str:
    """``REPRODUCED``, ``CONTRADICTED`` or ``NOT_SIGNIFICANT`` for ``better - worse``."""
    if not difference.significant:
        return NOT_SIGNIFICANT
    return REPRODUCED if difference.difference > 0 else CONTRADICTED


def claims_table(results: Mapping[str, Sequence[dict]], table: str, *, profile: str,
                 claims: Sequence[Claim] | None = None,
                 paper: Mapping[str, Mapping[str, float]] | None = None,
                 resamples: int = 2000, seed: int = 0, level: float = LEVEL) -> pd.DataFrame:
    """One row per comparison the paper makes in ``table`` whose two rows are in ``results``.

    Args:
        results: row label -> results in seed order (``study.runs.grid_results``).
        table: ``"1"`` to ``"4"`` or ``"dropout"``; any name with ``claims`` given.
        profile: only to look up the paper's numbers of each row.
        claims, paper: other claims than the paper's (``CLAIMS[table]``), and the numbers of
            their rows to show beside (label -> metric -> value; none by default).

    Columns: ``claim, metric, paper`` (the paper's difference; empty where it gives no
    numbers), ``ours`` (mean over seeds), ``low, high, p_value``, ``verdict``.
    """
    if claims is None:
        if table not in CLAIMS:
            raise ValueError(f"table={table!r} is not valid; choose one of {list(CLAIMS)}")
        claims = CLAIMS[table]
        paper = {row.label: row.paper for row in grid_rows(table, profile)}
    paper = paper or {}
    rows = []
    for claim in claims:
        if claim.better not in results or claim.worse not in results:
            continue
        d = paired_bootstrap(results[claim.better], results[claim.worse], claim.metric,
                             resamples=resamples, seed=seed, level=level)
        better = paper.get(claim.better, {}).get(claim.metric)
        worse = paper.get(claim.worse, {}).get(claim.metric)
        rows.append({"claim": claim.text, "metric": claim.metric,
                     "paper": (None if better is None or worse is None
                               else round(better - worse, 4)),
                     "ours": round(d.difference, 4), "low": round(d.low, 4),
                     "high": round(d.high, 4), "p_value": round(d.p_value, 4),
                     "verdict": claim_verdict(d)})
    frame = pd.DataFrame(rows, columns=["claim", "metric", "paper", "ours", "low", "high",
                                        "p_value", "verdict"])
    frame.attrs.update(table=table, profile=profile, level=level, resamples=resamples,
                       seeds=max((len(runs) for runs in results.values()), default=0))
    return frame


def reseed_table(results: Mapping[str, Sequence[dict]], table: str, *, profile: str,
                 claims: Sequence[Claim] | None = None,
                 paper: Mapping[str, Mapping[str, float]] | None = None,
                 seed: int = 0, resamples: int = 2000, level: float = LEVEL) -> pd.DataFrame:
    """Does each of the paper's claims in ``table`` (or ``claims``: see ``claims_table``)
    survive a reseed? Its verdict on seed ``seed``'s runs alone beside its verdict on every
    stored seed.

    Columns: ``table, claim, metric, paper``, then for ``one seed`` and ``all seeds`` the
    difference with its interval (one cell), the p-value and the verdict, the seeds behind the
    second (``better / worse`` side), and ``held`` ("held", or "from -> to").
    """
    first = {label: [r for r in runs if r["config"]["seed"] == seed]
             for label, runs in results.items()}
    kw = {"profile": profile, "claims": claims, "paper": paper, "resamples": resamples,
          "level": level}
    one = claims_table({k: v for k, v in first.items() if v}, table, **kw).set_index("claim")
    every = claims_table(results, table, **kw)
    counts = {c.text: f"{len(results[c.better])} / {len(results[c.worse])}"
              for c in (CLAIMS[table] if claims is None else claims)
              if c.better in results and c.worse in results}
    rows = []
    for row in every.to_dict("records"):
        before = one.loc[row["claim"]] if row["claim"] in one.index else None
        rows.append({
            "table": table, "claim": row["claim"], "metric": row["metric"],
            "paper": row["paper"],
            f"seed {seed}": None if before is None else difference_cell(before),
            f"seed {seed} p": None if before is None else before["p_value"],
            f"seed {seed} verdict": None if before is None else before["verdict"],
            "seeds": counts[row["claim"]], "all seeds": difference_cell(row),
            "all seeds p": row["p_value"], "all seeds verdict": row["verdict"],
            "held": (None if before is None else "held"
                     if before["verdict"] == row["verdict"]
                     else f"{before['verdict']} -> {row['verdict']}")})
    frame = pd.DataFrame(rows)
    frame.attrs.update(table=table, profile=profile, level=level, resamples=resamples)
    return frame


def difference_cell(row) -> str:
    """``+0.012 [-0.004, +0.030]``: a difference (``ours``) and its interval, in one cell."""
    return f"{row['ours']:+.3f} [{row['low']:+.3f}, {row['high']:+.3f}]"


def reseed_lines(reseed: pd.DataFrame) -> list[str]:
    """One Markdown line: how many of the claims' verdicts held when the seeds were added."""
    if reseed.empty or reseed["held"].isna().all():
        return []
    changed = reseed[reseed["held"].notna() & (reseed["held"] != "held")]
    line = (f"- **Over seeds.** {len(reseed) - len(changed)} of {len(reseed)} verdicts on seed 0 "
            "alone held on every stored seed")
    if len(changed):
        line += "; changed: " + "; ".join(f"{r.claim} ({r.held})" for r in changed.itertuples())
    return [line + "."]


def claim_lines(claims: pd.DataFrame, indent: str = "") -> list[str]:
    """Markdown bullets: how the claims were tested, each claim's verdict, and the count."""
    a = claims.attrs
    over = (f"over up to {a['seeds']} seeds a row (seeds and dev examples resampled together; "
            if a["seeds"] > 1 else "on one seed's runs (")
    lines = [f"{indent}- **The paper's comparisons**, tested {over}{a['level']:.0%} interval and "
             f"p-value from {a['resamples']:,} resamples of the verdict test, "
             "`stats.significance`):"]
    for row in claims.to_dict("records"):
        paper = "" if pd.isna(row["paper"]) else f"paper {row['paper']:+.3f}, "
        lines.append(f"{indent}  - {row['claim']} ({METRIC_NAMES[row['metric']]}): {paper}ours "
                     f"{row['ours']:+.3f} [{row['low']:+.3f}, {row['high']:+.3f}], p = "
                     f"{row['p_value']:.3f} — **{row['verdict']}**.")
    counts = claims["verdict"].value_counts()
    lines.append(f"{indent}  - In all: {counts.get(REPRODUCED, 0)} {REPRODUCED}, "
                 f"{counts.get(CONTRADICTED, 0)} {CONTRADICTED}, "
                 f"{counts.get(NOT_SIGNIFICANT, 0)} {NOT_SIGNIFICANT} at this size.")
    return lines


def claims_reading(claims: pd.DataFrame) -> str:
    """The verdicts of ``claims_table`` as Markdown, under the profile's caveat."""
    return "\n".join([*_opening(claims.attrs["profile"]), *claim_lines(claims)])


def table_reading(frame: pd.DataFrame, results: Mapping[str, Sequence[dict]],
                  data_dir: Path | str, *, resamples: int = 2000, seed: int = 0) -> str:
    """The reading of a table made by ``run_table`` (or ``dropout_table``).

    Args:
        frame: the table.
        results: its rows' runs, label -> results in seed order (``study.runs.grid_results``),
            for the paired bootstrap of the paper's claims.
        data_dir: the prepared data (for the Quora carve among the likely reasons).
    """
    claims = claims_table(results, str(frame.attrs["table"]), profile=frame.attrs["profile"],
                          resamples=resamples, seed=seed)
    if "best dropout" in frame:
        return dropout_reading(frame, claims)
    return compare_with_paper(frame, claims, load_manifest(data_dir))


def compare_with_paper(frame: pd.DataFrame, claims: pd.DataFrame | None = None,
                       manifest: dict | None = None) -> str:
    """A Markdown reading of a ``run_grid``/``run_table`` frame against the paper's numbers:
    the best row, the level, the ordering of rows, the claims, and likely reasons."""
    attrs = frame.attrs
    lines = _opening(attrs["profile"])
    metric = _primary_metric(frame)
    if metric is None:
        lines.append("The paper reports no numbers for this table.")
        return "\n".join(lines)
    ours, paper = frame[f"ours_{metric}"].astype(float), frame[f"paper_{metric}"].astype(float)
    lines += _table_lines(frame["label"], ours, paper, METRIC_NAMES[metric])
    if claims is not None and len(claims):
        lines += claim_lines(claims)
    reasons = likely_reasons(attrs["profile"], attrs.get("checkpoint", DEFAULT_CHECKPOINT),
                             manifest)
    lines.append("- **Likely reasons we differ from the paper:**")
    lines.extend(f"  - {reason}." for reason in reasons)
    return "\n".join(lines)


def _table_lines(labels: pd.Series, ours: pd.Series, paper: pd.Series, name: str) -> list[str]:
    """Best row, level and ordering of our rows against the paper's."""
    if ours.isna().all():
        return [f"- **Not run yet.** No row of this table has a result ({name})."]
    best_ours, best_paper = labels[ours.idxmax()], labels[paper.idxmax()]
    if ours.nunique() == 1:
        lines = [f"- **Best row ({name}).** Ours: none, every row ties at {ours.max():.3f}; "
                 f"the paper's: *{best_paper}* ({paper.max():.3f})."]
    else:
        same = "the same row" if best_ours == best_paper else "a different row"
        lines = [f"- **Best row ({name}).** Ours: *{best_ours}* ({ours.max():.3f}); the "
                 f"paper's: *{best_paper}* ({paper.max():.3f}) — {same}."]
    # Level and order compare rows with both numbers: a row not run yet
    # (``run_grid(stored_only=True)``) has none of ours, a reference row (zero-shot, our
    # recipe) none of the paper's.
    ran = ours.notna()
    extra = int((ran & paper.isna()).sum())
    ours, paper = ours[ran & paper.notna()], paper[ran & paper.notna()]
    if ours.empty:
        return lines
    diff = ours - paper
    so_far = "" if ran.all() else f" run so far ({int((~ran).sum())} not run yet)"
    if extra:
        so_far += (f" (and {extra} reference row{'s' * (extra > 1)} with no paper number, left "
                   "out)")
    lines.append(f"- **Level.** Ours is above the paper in {(diff > 0).sum()} of {len(ours)} "
                 f"rows{so_far}; mean difference (ours − paper) {diff.mean():+.3f}. Our rows span "
                 f"{ours.min():.3f}–{ours.max():.3f}, the paper's {paper.min():.3f}–"
                 f"{paper.max():.3f}.")
    if ours.nunique() == 1:
        lines.append("- **Ordering.** All our rows give the same value: these runs are too "
                     "small to tell the configurations apart.")
    elif len(ours) >= 3:
        rho = ours.rank().corr(paper.rank())
        verdict = ("much as the paper does" if rho >= 0.6 else
                   "differently from the paper" if rho < 0.2 else "only loosely like the paper")
        lines.append(f"- **Ordering.** Rank correlation with the paper's rows ρ = {rho:+.2f}: "
                     f"ours orders the configurations {verdict}.")
    return lines


def dropout_reading(table: pd.DataFrame, claims: pd.DataFrame | None = None) -> str:
    """The paper found 0.1 "the most consistent and generally the best" for all three tasks:
    which dropout each task picks here, and the claim tested against 0.3 and 0.5."""
    lines = _opening(table.attrs["profile"])
    cells = [c for c in table.columns if c.startswith("dropout ")]
    agree = int((table["best dropout"] == 0.1).sum())
    lines.append(f"The paper chose dropout 0.1 for every task; ours picks 0.1 for {agree} of "
                 f"{len(table)} tasks.")
    for row in table.to_dict("records"):
        values = [float(row[c]) for c in cells]
        lines.append(f"- {row['task']}: best dropout {row['best dropout']} (spread "
                     f"{max(values) - min(values):.3f} across dropouts).")
    if claims is not None and len(claims):
        lines += claim_lines(claims)
    return "\n".join(lines)


def curves_reading(runs: dict[str, dict]) -> str:
    """Figure 3's reading: each run's dev metric per epoch, task by task, and the paper's claim."""
    profile = next(iter(runs.values()))["config"]["profile"]
    lines = _opening(profile)
    for task in TASKS:
        metric = METRIC_OF[task]
        parts = []
        for label, result in runs.items():
            values = [e[metric] for e in result["history"]["epochs"] if metric in e]
            if values:
                parts.append(f"{label}: " + " → ".join(f"{v:.3f}" for v in values))
        if parts:
            lines.append(f"- **{METRIC_NAMES[metric]}** per epoch — " + "; ".join(parts) + ".")
    epochs = max(len(r["history"]["epochs"]) for r in runs.values())
    lines.append(
        "- The paper saw sequential batches learn STS sporadically and shuffled batches learn it "
        f"smoothly, over 15 epochs. With {epochs} epoch{'s' if epochs != 1 else ''} here, the "
        "dev curves have too few points to judge smoothness; the training-loss panels show, step "
        "by step, when each task trains and how its loss moves."
    )
    return "\n".join(lines)


def comparison_reading(summary: pd.DataFrame, comparisons: pd.DataFrame, *, profile: str,
                       results: Mapping[str, Sequence[dict]] | None = None) -> str:
    """Each label's means with intervals, then each bootstrap comparison's verdict.

    Args:
        summary: ``stats.significance.seed_summary(results, metrics)``.
        comparisons: ``stats.significance.compare(results, pairs, metrics)``.
        results: the runs, to report how often PCGrad projected (optional).
    """
    metrics = [m for m in METRIC_NAMES if m in summary.columns]
    lines = _opening(profile)
    for row in summary.to_dict("records"):
        parts = [f"{METRIC_NAMES[m]} {row[m]:.3f}{_bounds(row[f'{m}_low'], row[f'{m}_high'])}"
                 for m in metrics]
        lines.append(f"- **{row['label']}** ({row['seeds']} seeds): " + "; ".join(parts) + ".")
    for c in comparisons.to_dict("records"):
        lines.append(f"- {c['a']} − {c['b']}, {_difference(c)}.")
    for label, runs in (results or {}).items():
        rate = projection_rate(runs)
        if rate is not None:
            lines.append(f"- {label}: PCGrad projected {rate:.0%} of the task gradients it "
                         "combined (the rest conflicted with no other task at that step).")
    return "\n".join(lines)


def balance_reading(summary: pd.DataFrame, comparisons: pd.DataFrame, recall: pd.DataFrame,
                    *, reference: str, profile: str) -> str:
    """What re-balancing did to SST, computed from the tables.

    Args:
        summary: ``seed_summary`` with ``sst_acc`` and ``sst_macro_recall``.
        comparisons: ``compare`` of each re-balanced label against ``reference``.
        recall: ``analysis.class_balance.recall_frame``.
        reference: the plain run's label.
    """
    lines = _opening(profile)
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
        lines.append(f"- {c['a']} vs {reference}, {_difference(c)}.")
    rare = recall[recall["true share"] <= recall.groupby("label")["true share"].transform(
        "median")]
    gains = rare.groupby("label", sort=False)["recall"].mean()
    moved = [f"{label} {gains[label] - gains[reference]:+.3f}" for label in gains.index
             if reference in gains and label != reference]
    if moved:
        lines.append("- Mean recall of the rarer classes (dev share at or below the median),"
                     f" change from {reference}: " + "; ".join(moved) + ".")
    lines.append("- The paper's claim, that imbalance drives the confusion, predicts that "
                 "re-balancing spreads the predictions and lifts the rare classes' recall; the "
                 "lines above say whether it did here, and by how much beyond noise.")
    return "\n".join(lines)


def _opening(profile: str) -> list[str]:
    return [f"*{profile_note(profile)}.*", ""]


def _difference(c: dict) -> str:
    """One row of ``compare``: ``"<metric>: +0.012 [-0.004, +0.030] — not significant"``."""
    if c["verdict"] == NOT_SIGNIFICANT:
        verdict = f"{NOT_SIGNIFICANT}: the data cannot tell them apart"
    else:
        verdict = f"significant, {c['verdict']} better (p = {c['p_value']:.3f})"
    return (f"{METRIC_NAMES[c['metric']]}: {c['difference']:+.3f} [{c['low']:+.3f}, "
            f"{c['high']:+.3f}] — {verdict}")


def _bounds(low: float, high: float) -> str:
    if pd.isna(low) or pd.isna(high):
        return ""
    return f" [{low:.3f}, {high:.3f}]"


def _primary_metric(frame: pd.DataFrame) -> str | None:
    present = [m for m in METRICS if f"paper_{m}" in frame and frame[f"paper_{m}"].notna().any()]
    if not present:
        return None
    return "score" if "score" in present else present[0]
