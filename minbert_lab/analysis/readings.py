"""Written readings of a table, computed from its numbers, so the prose under a table always
says what the table shows, whatever profile produced it.

A reading compares our rows with the paper's: the best row, the level, whether the rows are
ordered alike, and each comparison the paper's text makes (its "claims"), marking each one
reproduced, contradicted or too close to call given the dev set size. It ends with the likely
reasons for any difference, and it opens with what the profile's numbers are worth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from minbert_lab.analysis.banner import likely_reasons, profile_caveat
from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.config import PROFILES, TASKS
from minbert_lab.data.splits import load_manifest
from minbert_lab.experiments.tables import METRICS
from minbert_lab.training.metrics import METRIC_OF

METRIC_NAMES = {"sst_acc": "SST accuracy", "para_acc": "paraphrase accuracy",
                "sts_pearson": "STS Pearson r", "score": "composite score"}


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
}


def dev_sizes(data_dir: Path | str, profile: str) -> dict[str, int]:
    """Dev examples per task that a run of ``profile`` evaluates on."""
    manifest = load_manifest(data_dir)
    limit = PROFILES[profile].dev_examples
    return {t: min(manifest["splits"][f"{t}-dev"]["rows"], limit or math.inf) for t in TASKS}


def noise_margin(metric: str, dev: dict[str, int]) -> float:
    """About two standard errors of a difference between two rows' ``metric``.

    For an accuracy near 0.5 on ``n`` examples the standard error is ``0.5 / sqrt(n)``, so a
    difference of two runs has about ``0.71 / sqrt(n)``; Pearson r's is no larger. The
    composite averages three tasks, so it is taken on the smallest dev set (conservative).
    """
    tasks = [t for t, m in METRIC_OF.items() if m == metric] or list(dev)
    n = min(dev[t] for t in tasks)
    return 2 * 0.71 / math.sqrt(n)


def compare_with_paper(frame: pd.DataFrame, dev: dict[str, int],
                       manifest: dict | None = None) -> str:
    """A Markdown reading of a ``run_grid``/``run_table`` frame against the paper's numbers."""
    attrs = frame.attrs
    profile, table = attrs["profile"], str(attrs.get("table", ""))
    metric = _primary_metric(frame)
    lines = [f"*{profile_caveat(profile)}*", ""]
    if metric is None:
        lines.append("The paper reports no numbers for this table.")
        return "\n".join(lines)
    name = METRIC_NAMES[metric]
    ours, paper = frame[f"ours_{metric}"].astype(float), frame[f"paper_{metric}"].astype(float)
    labels = frame["label"]
    margin = noise_margin(metric, dev)
    best_ours, best_paper = labels[ours.idxmax()], labels[paper.idxmax()]
    if ours.nunique() == 1:
        lines.append(f"- **Best row ({name}).** Ours: none, every row ties at {ours.max():.3f}; "
                     f"the paper's: *{best_paper}* ({paper.max():.3f}).")
    else:
        same = "the same row" if best_ours == best_paper else "a different row"
        lines.append(f"- **Best row ({name}).** Ours: *{best_ours}* ({ours.max():.3f}); the "
                     f"paper's: *{best_paper}* ({paper.max():.3f}) — {same}.")
    diff = ours - paper
    lines.append(f"- **Level.** Ours is above the paper in {(diff > 0).sum()} of {len(frame)} "
                 f"rows; mean difference (ours − paper) {diff.mean():+.3f}. Our rows span "
                 f"{ours.min():.3f}–{ours.max():.3f}, the paper's {paper.min():.3f}–"
                 f"{paper.max():.3f}.")
    if ours.nunique() == 1:
        lines.append("- **Ordering.** All our rows give the same value: these runs are too "
                     "small to tell the configurations apart.")
    elif len(frame) >= 3:
        rho = ours.rank().corr(paper.rank())
        verdict = ("much as the paper does" if rho >= 0.6 else
                   "differently from the paper" if rho < 0.2 else "only loosely like the paper")
        lines.append(f"- **Ordering.** Rank correlation with the paper's rows ρ = {rho:+.2f}: "
                     f"ours orders the configurations {verdict}.")
    lines.append(f"- **Paper's comparisons** (a difference under ±{margin:.3f}, about two "
                 "standard errors on our dev set, is too close to call):")
    rows = dict(zip(labels, frame.to_dict("records")))
    for claim in CLAIMS.get(table, []):
        lines.append("  - " + _claim_line(claim, rows, margin))
    reasons = likely_reasons(profile, attrs.get("checkpoint", DEFAULT_CHECKPOINT), manifest)
    lines.append("- **Likely reasons we differ from the paper:**")
    lines.extend(f"  - {reason}." for reason in reasons)
    return "\n".join(lines)


def table_reading(frame: pd.DataFrame, data_dir: Path | str) -> str:
    """The reading of a table made by ``run_table`` (or ``dropout_table``), with dev sizes and
    the Quora carve read from ``data_dir``."""
    dev = dev_sizes(data_dir, frame.attrs["profile"])
    if "best dropout" in frame:
        return dropout_reading(frame, dev)
    return compare_with_paper(frame, dev, load_manifest(data_dir))


def dropout_reading(table: pd.DataFrame, dev: dict[str, int]) -> str:
    """The paper found 0.1 "the most consistent and generally the best" for all three tasks."""
    lines = [f"*{profile_caveat(table.attrs['profile'])}*", ""]
    cells = [c for c in table.columns if c.startswith("dropout ")]
    agree = 0
    for row in table.to_dict("records"):
        values = [float(row[c]) for c in cells]
        spread = max(values) - min(values)
        margin = noise_margin(row["metric"], dev)
        close = f", within noise (±{margin:.3f})" if spread < margin else ""
        agree += row["best dropout"] == 0.1
        lines.append(f"- {row['task']}: best dropout {row['best dropout']} "
                     f"(spread {spread:.3f} across dropouts{close}).")
    lines.insert(2, f"The paper chose dropout 0.1 for every task; ours picks 0.1 for {agree} of "
                    f"{len(table)} tasks.")
    return "\n".join(lines)


def _primary_metric(frame: pd.DataFrame) -> str | None:
    present = [m for m in METRICS if f"paper_{m}" in frame and frame[f"paper_{m}"].notna().any()]
    if not present:
        return None
    return "score" if "score" in present else present[0]


def _claim_line(claim: Claim, rows: dict[str, dict], margin: float) -> str:
    column = f"ours_{claim.metric}"
    if claim.better not in rows or claim.worse not in rows or column not in rows[claim.better]:
        return f"{claim.text}: not in this table."
    paper = rows[claim.better][f"paper_{claim.metric}"] - rows[claim.worse][f"paper_{claim.metric}"]
    ours = rows[claim.better][column] - rows[claim.worse][column]
    if abs(ours) < margin:
        verdict = "too close to call here"
    elif (ours > 0) == (paper > 0):
        verdict = "reproduced"
    else:
        verdict = "**not reproduced** (the opposite here)"
    return (f"{claim.text} — paper {paper:+.3f}, ours {ours:+.3f} "
            f"({METRIC_NAMES[claim.metric]}): {verdict}.")


def curves_reading(runs: dict[str, dict]) -> str:
    """Figure 3's reading: each run's dev metric per epoch, task by task, and the paper's claim."""
    profile = next(iter(runs.values()))["config"]["profile"]
    lines = [f"*{profile_caveat(profile)}*", ""]
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
