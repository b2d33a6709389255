"""Is a difference between two configs real? Seed intervals and the paired bootstrap.

Two sources of noise hide in a table of single runs. **Seeds**: another initialisation and
batch order gives another number; :func:`seed_summary` reports each config's mean over seeds
with a 95% Student-t interval. **The dev set**: a few hundred examples measure an accuracy only
to a few points; :func:`paired_bootstrap` resamples the dev examples (with replacement, the
same resample for both configs and every seed, so the comparison is paired) and reports the
difference ``a - b`` (averaged over seeds), its percentile interval and a two-sided p-value.
The bootstrap treats the trained models as fixed: it covers dev-set noise; seed-to-seed
variation shows in the seed intervals, and averaging seeds shrinks it in the difference.

The p-value is the share of bootstrap differences, re-centred on zero, at least as far from
zero as the observed one (``(1 + #{|d* - d| >= |d|}) / (B + 1)``); a difference is called
significant when ``p < 1 - level``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from minbert_lab.training.metrics import METRIC_OF, METRICS, SST_MACRO_RECALL, normalized

LEVEL = 0.95
TASK_OF = {metric: task for task, metric in METRIC_OF.items()}
# The word for a difference the data cannot tell from zero, in every table and reading.
NOT_SIGNIFICANT = "not significant"
_CHUNK = 256  # resamples evaluated at once: bounds memory on the full dev sets


@dataclass(frozen=True)
class BootstrapDifference:
    """``a - b`` on ``metric``: the observed difference, its interval and p-value."""

    metric: str
    difference: float
    low: float
    high: float
    p_value: float
    resamples: int
    level: float = LEVEL

    @property
    def significant(self) -> bool:
        return self.p_value < 1 - self.level


def t_interval(values: Sequence[float], level: float = LEVEL) -> tuple[float, float, float]:
    """Mean and Student-t interval of ``values`` (one per seed); NaN bounds for one value."""
    values = np.asarray(values, float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = stats.t.ppf((1 + level) / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(
        len(values))
    return mean, mean - half, mean + half


def metric_tasks(metric: str, tasks: Sequence[str]) -> list[str]:
    """The tasks a metric is computed from (the composite: every task the runs trained)."""
    if metric == "score":
        return [t for t in METRIC_OF if t in tasks]
    if metric == SST_MACRO_RECALL:
        return ["sst"]
    if metric not in TASK_OF:
        raise ValueError(f"metric={metric!r} is not valid; choose one of "
                         f"{[*METRICS, SST_MACRO_RECALL]}")
    return [TASK_OF[metric]]


def resampled(task: str, metric: str, labels: np.ndarray, predictions: np.ndarray,
              index: np.ndarray) -> np.ndarray:
    """``metric`` of each run on each resample: ``(S, n)`` predictions of ``S`` runs and
    ``(B, n)`` row indices give ``(S, B)``; accuracy or macro recall for the classification
    tasks, Pearson r (0 where a side is constant, as in training) for STS."""
    y = labels[index]  # (B, n)
    x = predictions[:, index]  # (S, B, n)
    if task == "sts":
        xm = x - x.mean(-1, keepdims=True)
        ym = y - y.mean(-1, keepdims=True)
        denominator = np.sqrt((xm**2).sum(-1) * (ym**2).sum(-1))  # (S, B)
        covariance = (xm * ym).sum(-1)
        return np.divide(covariance, denominator, out=np.zeros_like(covariance),
                         where=denominator > 0)
    correct = x == y  # (S, B, n)
    if metric != SST_MACRO_RECALL:
        return correct.mean(-1)
    recalls = []
    for k in np.unique(labels):
        mask = y == k  # (B, n)
        count = mask.sum(-1)  # (B,)
        hits = (correct & mask).sum(-1)  # (S, B)
        recalls.append(np.where(count > 0, hits / np.maximum(count, 1), np.nan))
    return np.nanmean(np.stack(recalls), axis=0)


def paired_bootstrap_arrays(data: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                            metric: str, *, resamples: int = 2000, seed: int = 0,
                            level: float = LEVEL) -> BootstrapDifference:
    """The paired bootstrap on raw arrays.

    Args:
        data: task -> ``(labels (n,), predictions_a (S, n), predictions_b (S, n))``: the same
            dev examples, and the same ``S`` seeds in the same order, for both configs.
        metric: a task metric, ``"score"`` (the composite of the tasks in ``data``) or
            ``"sst_macro_recall"``.
        resamples: bootstrap resamples ``B``.
        seed: seeds the resampling.
        level: the interval's coverage.
    """
    tasks = metric_tasks(metric, list(data))
    missing = [t for t in tasks if t not in data]
    if not tasks or missing:
        raise ValueError(f"metric {metric!r} needs tasks {missing or tasks}, given {list(data)}")
    rng = np.random.default_rng(seed)

    def scale(task: str, value: np.ndarray) -> np.ndarray:  # the composite's (r + 1) / 2
        return normalized(task, value) if metric == "score" else value

    def difference(indices: dict[str, np.ndarray]) -> np.ndarray:  # (B,)
        parts_a, parts_b = [], []
        for task in tasks:
            labels, a, b = data[task]
            name = metric if metric == SST_MACRO_RECALL else METRIC_OF[task]
            parts_a.append(scale(task, resampled(task, name, labels, a, indices[task])))
            parts_b.append(scale(task, resampled(task, name, labels, b, indices[task])))
        return (np.mean(parts_a, axis=0) - np.mean(parts_b, axis=0)).mean(0)  # seeds averaged

    observed = float(difference({t: np.arange(len(data[t][0]))[None] for t in tasks})[0])
    draws = []
    for start in range(0, resamples, _CHUNK):
        size = min(_CHUNK, resamples - start)
        draws.append(difference({t: rng.integers(0, len(data[t][0]), (size, len(data[t][0])))
                                 for t in tasks}))
    draws = np.concatenate(draws)
    low, high = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    extreme = np.abs(draws - observed) >= abs(observed) - 1e-12
    p_value = (1 + int(extreme.sum())) / (resamples + 1)
    return BootstrapDifference(metric, observed, float(low), float(high), p_value, resamples,
                               level)


def task_arrays(results: Sequence[dict], task: str) -> tuple[np.ndarray, np.ndarray, list]:
    """``labels (n,)``, ``predictions (S, n)`` and the ids, from one result per seed.

    Raises:
        ValueError: the runs were evaluated on different dev examples.
    """
    if not results:
        raise ValueError("results is empty; give one result per seed")
    stored = [r["predictions"][task] for r in results]
    ids = [str(i) for i in stored[0]["ids"]]
    for other in stored[1:]:
        if [str(i) for i in other["ids"]] != ids:
            raise ValueError(f"the runs were evaluated on different {task} dev examples")
    labels = np.asarray(stored[0]["labels"], float)
    return labels, np.asarray([s["predictions"] for s in stored], float), ids


def paired_bootstrap(a: Sequence[dict], b: Sequence[dict], metric: str = "score", *,
                     resamples: int = 2000, seed: int = 0,
                     level: float = LEVEL) -> BootstrapDifference:
    """``a - b`` on ``metric`` over the dev examples, from stored results paired by seed.

    Args:
        a, b: one result per seed (``run_seeds``), the ``k``-th of each with the same seed; or
            several seeds against a single run (each seed of ``a`` is compared with the one run
            of ``b``, on the same resampled examples, and the differences averaged).
    """
    if not a or not b or (len(a) != len(b) and 1 not in (len(a), len(b))):
        raise ValueError(f"give the same seeds for both configs, or one run for one of them "
                         f"({len(a)} vs {len(b)} runs)")
    shared = [t for t in METRIC_OF if t in a[0]["predictions"] and t in b[0]["predictions"]]
    data = {}
    for task in metric_tasks(metric, shared):
        labels, preds_a, ids = task_arrays(a, task)
        _, preds_b, ids_b = task_arrays(b, task)
        if ids != ids_b:
            raise ValueError(f"the two configs were evaluated on different {task} dev examples")
        data[task] = (labels, preds_a, preds_b)
    return paired_bootstrap_arrays(data, metric, resamples=resamples, seed=seed, level=level)


def metric_value(result: dict, metric: str) -> float:
    """One run's dev ``metric`` (the best epoch's, as stored; macro recall from predictions)."""
    if metric in result["metrics"]:
        return float(result["metrics"][metric])
    if metric == SST_MACRO_RECALL:
        labels, predictions, _ = task_arrays([result], "sst")
        index = np.arange(len(labels))[None]
        return float(resampled("sst", metric, labels, predictions, index)[0, 0])
    raise ValueError(f"metric {metric!r} is not in this run; it has {sorted(result['metrics'])}")


def seed_summary(results: Mapping[str, Sequence[dict]], metrics: Sequence[str],
                 level: float = LEVEL) -> pd.DataFrame:
    """One row per label: seeds, and per metric the mean and its Student-t interval over seeds
    (columns ``<metric>``, ``<metric>_low``, ``<metric>_high``)."""
    rows = []
    for label, runs in results.items():
        row: dict = {"label": label, "seeds": len(runs)}
        for metric in metrics:
            mean, low, high = t_interval([metric_value(r, metric) for r in runs], level)
            row.update({metric: round(mean, 4), f"{metric}_low": round(low, 4),
                        f"{metric}_high": round(high, 4)})
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.attrs["level"] = level
    return frame


def compare(results: Mapping[str, Sequence[dict]], pairs: Sequence[tuple[str, str]],
            metrics: Sequence[str], *, resamples: int = 2000, seed: int = 0,
            level: float = LEVEL) -> pd.DataFrame:
    """The paired bootstrap for each ``(a, b)`` pair of labels and each metric.

    Columns: ``a, b, metric, difference`` (a - b, mean over seeds), ``low, high, p_value``,
    and ``verdict``: the better config's label, or ``NOT_SIGNIFICANT``.
    """
    rows = []
    for a, b in pairs:
        for metric in metrics:
            d = paired_bootstrap(results[a], results[b], metric, resamples=resamples, seed=seed,
                                 level=level)
            verdict = NOT_SIGNIFICANT if not d.significant else (a if d.difference > 0 else b)
            rows.append({"a": a, "b": b, "metric": metric, "difference": round(d.difference, 4),
                         "low": round(d.low, 4), "high": round(d.high, 4),
                         "p_value": round(d.p_value, 4), "verdict": verdict})
    frame = pd.DataFrame(rows)
    frame.attrs.update(level=level, resamples=resamples,
                       seeds=len(next(iter(results.values()))) if results else 0)
    return frame


def marked_summary(results: Mapping[str, Sequence[dict]], metric: str, *, reference: str,
                   resamples: int = 2000, seed: int = 0, level: float = LEVEL) -> pd.DataFrame:
    """``seed_summary`` on one metric, each row compared with ``reference`` by the paired
    bootstrap: ``vs <reference>`` (the difference), ``p_value`` and ``significant`` ("yes", or
    ``NOT_SIGNIFICANT`` for a difference the data cannot tell from zero)."""
    if reference not in results:
        raise ValueError(f"reference={reference!r} is not valid; choose one of {list(results)}")
    frame = seed_summary(results, [metric], level)
    column = f"vs {reference}"
    diffs, ps, marks = [], [], []
    for label in frame["label"]:
        if label == reference:
            diffs.append(0.0)
            ps.append(math.nan)
            marks.append("reference")
            continue
        d = paired_bootstrap(results[label], results[reference], metric, resamples=resamples,
                             seed=seed, level=level)
        diffs.append(round(d.difference, 4))
        ps.append(round(d.p_value, 4))
        marks.append("yes" if d.significant else NOT_SIGNIFICANT)
    frame[column], frame["p_value"], frame["significant"] = diffs, ps, marks
    return frame
