"""Is a difference between two configs real? One test for seeds and dev examples together.

Two sources of noise hide in a table of runs (Bouthillier et al. 2021 keep them apart). **Seeds**:
another initialisation, batch order and dropout gives another number. **The dev set**: a few
hundred examples measure an accuracy only to a few points. :func:`seed_summary` reports each
config's mean over seeds with a 95% Student-t interval (seeds only).

**The verdict test** (:func:`paired_bootstrap`, for every claim the study makes) is a
hierarchical paired bootstrap. Each of ``B`` resamples (i) draws, for each config on its own,
as many of its seeds as it has, with replacement, and (ii) draws the dev examples with
replacement, the same examples for both configs (the comparison is paired on examples). Each
drawn run's metric is computed on the drawn examples (the composite per run, from its tasks),
averaged over the drawn seeds, and ``a - b`` is taken. The interval is the percentile interval
of these differences; the p-value is the share of them, re-centred on zero, at least as far from
zero as the observed difference (mean over all seeds of ``a`` minus that of ``b``):
``(1 + #{|d* - d| >= |d|}) / (B + 1)``, and a difference is significant when
``p < 1 - level``. With one run a side, step (i) draws that run and the test is the paired
bootstrap over dev examples (bit for bit: the seeds are drawn from their own random stream).
With ``S > 1`` seeds the drawn mean is widened around the mean of all ``S`` by
``sqrt(S / (S - 1))`` (:func:`seed_draw_means`): the mean of ``S`` values drawn from ``S``
varies by only ``(S - 1) / S`` of the unbiased estimate (2/3 at three seeds), which would make
the test optimistic about seed noise.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from minbert_lab.metrics import METRIC_OF, METRICS, SST_MACRO_RECALL, normalized

LEVEL = 0.95
TASK_OF = {metric: task for task, metric in METRIC_OF.items()}
# The word for a difference the data cannot tell from zero, in every table and reading.
NOT_SIGNIFICANT = "not significant"
_CHUNK = 256  # resamples evaluated at once: bounds memory on the full dev sets


POWER = 0.8  # the chance of detecting a difference that ``detectable`` sizes


@dataclass(frozen=True)
class BootstrapDifference:
    """``a - b`` on ``metric``: the observed difference, its interval and p-value, and the
    standard deviation of the bootstrap differences (the comparison's standard error)."""

    metric: str
    difference: float
    low: float
    high: float
    p_value: float
    resamples: int
    level: float = LEVEL
    standard_error: float = math.nan

    @property
    def significant(self) -> bool:
        return self.p_value < 1 - self.level

    def detectable(self, power: float = POWER) -> float:
        """The smallest true difference this comparison would call significant with
        probability ``power``, at the noise it measured: ``(z_(1 - alpha/2) + z_power) x``
        the standard error (normal approximation; 2.80 x at 95% and 80%). A difference "not
        significant" here may still be real but smaller than this."""
        alpha = 1 - self.level
        return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
                     * self.standard_error)


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
    """The verdict test (see the module's notes) on raw arrays.

    Args:
        data: task -> ``(labels (n,), predictions_a (Sa, n), predictions_b (Sb, n))``: the
            same dev examples for both configs; row ``k`` of every task of a side is the same
            run (seed). ``Sa`` and ``Sb`` may differ.
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
    runs = {len(data[t][side]) for t in tasks for side in (1, 2)}
    sizes = [(len(data[t][1]), len(data[t][2])) for t in tasks]
    if len(set(sizes)) != 1 or 0 in runs:
        raise ValueError(f"every task needs the same runs of each config, given {sizes} runs")
    examples = np.random.default_rng(seed)
    seeds = np.random.default_rng([seed, 1])  # its own stream: one run a side changes nothing

    def per_run(side: int, indices: dict[str, np.ndarray]) -> np.ndarray:  # (S, B)
        return resampled_metric(metric, {t: (data[t][0], data[t][side]) for t in tasks},
                                indices)

    def drawn_mean(values: np.ndarray) -> np.ndarray:  # (S, B) -> (B,)
        return seed_draw_means(values, seeds)

    whole = {t: np.arange(len(data[t][0]))[None] for t in tasks}
    observed = float(per_run(1, whole).mean() - per_run(2, whole).mean())
    draws = np.concatenate([
        drawn_mean(per_run(1, indices)) - drawn_mean(per_run(2, indices))
        for indices in resample_chunks(examples, {t: len(data[t][0]) for t in tasks},
                                       resamples)])
    low, high = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    extreme = np.abs(draws - observed) >= abs(observed) - 1e-12
    p_value = (1 + int(extreme.sum())) / (resamples + 1)
    return BootstrapDifference(metric, observed, float(low), float(high), p_value, resamples,
                               level, float(draws.std(ddof=1)))


def resample_chunks(rng: np.random.Generator, sizes: Mapping[str, int],
                    resamples: int) -> Iterator[dict[str, np.ndarray]]:
    """``resamples`` bootstrap resamples of each task's ``sizes[task]`` dev examples, drawn
    with replacement, in chunks of at most ``_CHUNK``: task -> ``(chunk, n)`` row indices."""
    for start in range(0, resamples, _CHUNK):
        chunk = min(_CHUNK, resamples - start)
        yield {task: rng.integers(0, n, (chunk, n)) for task, n in sizes.items()}


def resampled_metric(metric: str, arrays: Mapping[str, tuple[np.ndarray, np.ndarray]],
                     indices: Mapping[str, np.ndarray]) -> np.ndarray:
    """``metric`` of each run on each resample, ``(S, B)``, from ``arrays`` (task ->
    ``labels (n,)``, ``predictions (S, n)``) and ``indices`` (task -> ``(B, n)`` row indices):
    the composite of the tasks in ``arrays`` for ``"score"``."""
    parts = []
    for task, (labels, predictions) in arrays.items():
        name = metric if metric == SST_MACRO_RECALL else METRIC_OF[task]
        value = resampled(task, name, labels, predictions, indices[task])
        parts.append(normalized(task, value) if metric == "score" else value)
    return np.mean(parts, axis=0)


def example_interval(result: dict, metric: str = "score", *, resamples: int = 2000,
                     seed: int = 0, level: float = LEVEL) -> tuple[float, float, float]:
    """One model's ``metric`` and its percentile bootstrap interval over the dev examples: the
    dev set's noise alone, for a model with no seeds to average over (an ensemble of runs)."""
    tasks = metric_tasks(metric, list(result["predictions"]))
    arrays = {task: task_arrays([result], task)[:2] for task in tasks}
    sizes = {task: len(labels) for task, (labels, _) in arrays.items()}
    draws = np.concatenate([
        resampled_metric(metric, arrays, indices)[0]
        for indices in resample_chunks(np.random.default_rng(seed), sizes, resamples)])
    low, high = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return metric_value(result, metric), float(low), float(high)


def seed_draw_means(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Step (i) of the verdict test: ``values`` ``(S, B)``, each run's metric on each resample
    of the dev examples, give ``(B,)``: per resample, the mean of ``S`` seeds drawn with
    replacement, its spread around the mean of all ``S`` widened by ``sqrt(S / (S - 1))``.

    Why widen: the mean of ``S`` values drawn from ``S`` varies by ``(S - 1) / S`` of the
    unbiased ``s^2 / S`` (2/3 at three seeds), which would make the test optimistic about seed
    noise; rescaling the draws around the mean restores the unbiased variance (the modified
    residuals of Davison and Hinkley 1997, with leverage ``1 / S``). One seed: its values as
    they are.
    """
    count = len(values)
    if count == 1:
        return values[0]
    pick = rng.integers(0, count, (values.shape[1], count))  # (B, S)
    drawn = np.take_along_axis(values.T, pick, axis=1).mean(1)  # (B,)
    full = values.mean(0)  # (B,)
    return full + math.sqrt(count / (count - 1)) * (drawn - full)


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
    """``a - b`` on ``metric`` by the verdict test (the module's notes), from stored results:
    one result per seed of each config (any number each, one included), evaluated on the
    same dev examples."""
    if not a or not b:
        raise ValueError(f"give at least one run of each config ({len(a)} vs {len(b)} runs)")
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
    ``verdict``: the better config's label, or ``NOT_SIGNIFICANT``, and ``detectable``: the
    smallest difference the comparison would detect with probability ``POWER``
    (:meth:`BootstrapDifference.detectable`).
    """
    rows = []
    for a, b in pairs:
        for metric in metrics:
            d = paired_bootstrap(results[a], results[b], metric, resamples=resamples, seed=seed,
                                 level=level)
            verdict = NOT_SIGNIFICANT if not d.significant else (a if d.difference > 0 else b)
            rows.append({"a": a, "b": b, "metric": metric, "difference": round(d.difference, 4),
                         "low": round(d.low, 4), "high": round(d.high, 4),
                         "p_value": round(d.p_value, 4), "verdict": verdict,
                         "detectable": round(d.detectable(), 4)})
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
