"""What each result cost: training time, throughput, evaluation speed and parameters, beside
its score — so "the cross-encoder is better but costs more" becomes a measured trade-off.

Every stored result carries ``timings`` (training and evaluation seconds, training examples per
second) and ``model.parameters``. A pair example costs one joined sequence in a cross-encoder
and two separate sentences in a Siamese model; the paper's cost argument is mostly about
scoring *many* pairs (a Siamese model embeds each sentence once, a cross-encoder runs for every
pair), which these per-pair timings do not measure. Timings depend on the machine and on what
else ran beside it; compare rows timed together.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from minbert_lab.config import PAIR_HEADS, TASK_TITLES, head_name
from minbert_lab.metrics import METRIC_OF

ENCODINGS = {"cross_encoder": "cross-encoder", "cross_encoder_cosine": "hybrid",
             "siamese_concat_diff": "Siamese",
             "siamese_cosine": "Siamese"}


def encoding(tasks: Mapping[str, dict]) -> str:
    """How a run encodes its sentence pairs: cross-encoder, Siamese, mixed, or ``"none"``."""
    heads = [head_name(cfg["head"]) for cfg in tasks.values()]  # results stored as "CE" too
    kinds = {ENCODINGS[head] for head in heads if head in PAIR_HEADS}
    if not kinds:
        return "none"
    return kinds.pop() if len(kinds) == 1 else "mixed"


def cost_frame(results: Mapping[str, dict]) -> pd.DataFrame:
    """One row per result: what it trained, its main metric, and what it cost.

    Columns: ``label, group, encoding, metric, value, train s/epoch, train CPU s/epoch,
    train examples/s, eval examples/s, parameters, CPU, cached``. ``group`` is the task (single-task
    runs) or ``"multitask"``; ``metric`` is the task's metric, or the composite score.
    ``train s/epoch`` is wall clock, so it counts any time the process was paused;
    ``train CPU s/epoch`` (all threads, pauses excluded) is empty for results stored before it
    was kept; ``CPU`` is the processor that finished the run, empty for results stored before
    it was kept (their commit messages name it).
    """
    rows = []
    for label, result in results.items():
        tasks = result["config"]["tasks"]
        metric = "score" if len(tasks) > 1 else METRIC_OF[next(iter(tasks))]
        group = "multitask" if len(tasks) > 1 else TASK_TITLES[next(iter(tasks))]
        timings = result["timings"]
        evaluated = len(result["history"]["epochs"])
        dev = sum(result["data"]["dev_examples"].values()) * evaluated
        rows.append({
            "label": label,
            "group": group,
            "encoding": encoding(tasks),
            "metric": metric,
            "value": round(float(result["metrics"][metric]), 4),
            "train s/epoch": round(timings["train_seconds"] / max(evaluated, 1), 2),
            "train CPU s/epoch": round(timings["train_cpu_seconds"] / max(evaluated, 1), 2)
            if "train_cpu_seconds" in timings else None,
            "train examples/s": round(timings["train_examples_per_second"] or 0.0, 1),
            "eval examples/s": round(dev / timings["eval_seconds"], 1)
            if timings.get("eval_seconds") else None,
            "parameters": result.get("model", {}).get("parameters"),
            "CPU": result.get("environment", {}).get("cpu"),
            "cached": result.get("cached", False),
        })
    return pd.DataFrame(rows)


def cost_reading(frame: pd.DataFrame) -> str:
    """Cross-encoder vs Siamese per group, in measured throughput and metric."""
    lines = []
    for group, part in frame.groupby("group", sort=False):
        ce = part[part["encoding"] == "cross-encoder"]
        siamese = part[part["encoding"] == "Siamese"]
        if ce.empty or siamese.empty:
            continue
        train_ratio = siamese["train examples/s"].mean() / ce["train examples/s"].mean()
        eval_ratio = (siamese["eval examples/s"].mean() / ce["eval examples/s"].mean()
                      if ce["eval examples/s"].notna().all() else float("nan"))
        best_ce, best_siamese = ce.loc[ce["value"].idxmax()], siamese.loc[
            siamese["value"].idxmax()]
        metric = part["metric"].iloc[0]
        lines.append(
            f"- **{group}**: the Siamese rows train at {siamese['train examples/s'].mean():.1f} "
            f"pairs/s on average, the cross-encoder rows at {ce['train examples/s'].mean():.1f} "
            f"({_times(train_ratio)}); evaluation {_times(eval_ratio)}. Best {metric}: "
            f"cross-encoder {best_ce['value']:.3f} (*{best_ce['label']}*) vs Siamese "
            f"{best_siamese['value']:.3f} (*{best_siamese['label']}*), "
            f"{best_ce['value'] - best_siamese['value']:+.3f} for the cross-encoder.")
    if not lines:
        lines.append("- No group holds both cross-encoder and Siamese runs to compare.")
    params = frame["parameters"].dropna()
    if not params.empty:
        spread = (params.max() - params.min()) / params.min()
        why = (": the shared encoder dominates, so cost differences come from what it is run "
               "on rather than from model size" if spread < 0.05 else "")
        lines.append(f"- Parameters range from {int(params.min()):,} to {int(params.max()):,} "
                     f"({spread:.1%} apart){why}.")
    lines.append("- Timings come from the runs as stored (each on the machine and load of its "
                 "own moment); per-pair costs only — scoring every pair of a large collection "
                 "would multiply the cross-encoder's cost by the number of pairs, the Siamese "
                 "model's by the number of sentences.")
    return "\n".join(lines)


def _times(ratio: float) -> str:
    if pd.isna(ratio):
        return "not measured"
    if ratio >= 1:
        return f"Siamese {ratio:.2f}x the cross-encoder's throughput"
    return f"Siamese {1 / ratio:.2f}x slower than the cross-encoder"
