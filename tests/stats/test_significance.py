"""Seed intervals and the verdict test (seeds and dev examples): coverage on synthetic cases,
p-values, tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fake_runs import fake_result

from minbert_lab.metrics import SST_MACRO_RECALL
from minbert_lab.stats.significance import (
    NOT_SIGNIFICANT,
    compare,
    example_interval,
    marked_summary,
    metric_value,
    paired_bootstrap,
    paired_bootstrap_arrays,
    seed_draw_means,
    seed_summary,
    t_interval,
)


def test_t_interval_matches_the_textbook():
    mean, low, high = t_interval([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert high - mean == pytest.approx(4.302653 * 1.0 / math.sqrt(3), rel=1e-5)  # t(0.975, 2)
    assert math.isnan(t_interval([0.5])[1])


def _population(rng: np.random.Generator, n: int = 200_000):
    """Labels 0-4 and two classifiers' predictions, correlated (they share easy examples)."""
    labels = rng.integers(0, 5, n)
    easy = rng.random(n) < 0.5
    a_right = easy | (rng.random(n) < 0.4)  # accuracy 0.7
    b_right = easy | (rng.random(n) < 0.3)  # accuracy 0.65
    wrong = (labels + rng.integers(1, 5, n)) % 5
    return labels, np.where(a_right, labels, wrong), np.where(b_right, labels, wrong)


def test_bootstrap_intervals_cover_the_true_difference_at_about_the_stated_rate():
    rng = np.random.default_rng(0)
    labels, a, b = _population(rng)
    truth = (a == labels).mean() - (b == labels).mean()
    trials, covered = 200, 0
    for trial in range(trials):
        rows = rng.integers(0, len(labels), 300)  # a dev set of 300 examples
        data = {"sst": (labels[rows].astype(float), a[rows][None].astype(float),
                        b[rows][None].astype(float))}
        d = paired_bootstrap_arrays(data, "sst_acc", resamples=500, seed=trial)
        covered += d.low <= truth <= d.high
    assert 0.90 <= covered / trials <= 0.99  # stated: 0.95 (binomial sd ~0.015 at 200 trials)


def test_a_difference_of_the_detectable_size_is_found_about_four_times_in_five():
    """Two classifiers 0.05 apart (``_population``); on 713-example dev sets the paired
    difference's standard error is sqrt(0.2275 / 713) = 0.0179, so 2.80 x that is 0.05: a
    true difference of the detectable size should be significant in about 80% of dev sets."""
    rng = np.random.default_rng(5)
    labels, a, b = _population(rng)
    trials, found, sizes = 200, 0, []
    for trial in range(trials):
        rows = rng.integers(0, len(labels), 713)
        data = {"sst": (labels[rows].astype(float), a[rows][None].astype(float),
                        b[rows][None].astype(float))}
        d = paired_bootstrap_arrays(data, "sst_acc", resamples=400, seed=trial)
        found += d.significant
        sizes.append(d.detectable())
    assert np.mean(sizes) == pytest.approx(0.05, rel=0.1)
    assert 0.70 <= found / trials <= 0.90  # stated 0.80 (binomial sd ~0.03 at 200 trials)


def _seeded_runs(rng: np.random.Generator, labels: np.ndarray, easy: np.ndarray,
                 seeds: int) -> np.ndarray:
    """``(seeds, n)`` binary predictions of one config whose accuracy moves from seed to seed
    (sd 0.02) more than a 300-example dev set measures it."""
    runs = []
    for _ in range(seeds):
        right = easy | (rng.random(len(labels)) < 0.4 + rng.normal(0, 0.04))
        runs.append(np.where(right, labels, 1 - labels))
    return np.asarray(runs, float)


def test_the_interval_covers_seed_noise_that_the_dev_set_alone_misses():
    rng = np.random.default_rng(0)
    covered, covered_by_one_run = 0, 0
    trials = 100
    for trial in range(trials):
        labels = rng.integers(0, 2, 300)
        easy = rng.random(300) < 0.5
        a = _seeded_runs(rng, labels, easy, 4)  # two runs of one config: the truth is 0
        b = _seeded_runs(rng, labels, easy, 4)
        both = paired_bootstrap_arrays({"para": (labels.astype(float), a, b)}, "para_acc",
                                       resamples=400, seed=trial)
        covered += both.low <= 0 <= both.high
        one = paired_bootstrap_arrays({"para": (labels.astype(float), a[:1], b[:1])},
                                      "para_acc", resamples=400, seed=trial)
        covered_by_one_run += one.low <= 0 <= one.high
    assert covered / trials >= 0.93  # stated 0.95; three or four seeds make it conservative
    assert covered_by_one_run / trials <= 0.90  # one run a side: the seed noise is not covered


def test_a_seed_draw_varies_as_much_as_the_mean_of_its_seeds():
    """Three seeds: the drawn means vary by the unbiased s^2 / 3, not 2/3 of it, around the
    mean of the three; one seed is taken as it is."""
    values = np.tile(np.array([[0.0], [0.0], [1.0]]), (1, 200_000))  # (S=3, B)
    draws = seed_draw_means(values, np.random.default_rng(0))
    assert draws.mean() == pytest.approx(1 / 3, abs=0.005)
    assert draws.var() == pytest.approx(values[:, 0].var(ddof=1) / 3, rel=0.02)
    one = np.arange(5.0)[None]
    assert np.array_equal(seed_draw_means(one, np.random.default_rng(0)), one[0])


def test_one_run_a_side_is_the_bootstrap_over_dev_examples_alone():
    rng = np.random.default_rng(3)
    labels, a, b = _population(rng, 500)
    draws = np.random.default_rng(7).integers(0, 500, (300, 500))  # the same example draws
    diffs = (a[draws] == labels[draws]).mean(1) - (b[draws] == labels[draws]).mean(1)
    d = paired_bootstrap_arrays({"sst": (labels.astype(float), a[None].astype(float),
                                         b[None].astype(float))}, "sst_acc", resamples=300,
                                seed=7)
    assert (d.low, d.high) == tuple(np.quantile(diffs, [0.025, 0.975]))


def _one_model(labels: np.ndarray, predictions: np.ndarray) -> dict:
    stored = {"ids": list(range(len(labels))), "labels": labels.tolist(),
              "predictions": predictions.tolist()}
    return {"metrics": {"para_acc": float((labels == predictions).mean())},
            "predictions": {"para": stored}}


def test_one_models_interval_is_the_dev_sets_binomial_noise():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, 1_000).astype(float)
    predictions = np.where(rng.random(1_000) < 0.8, labels, 1 - labels)
    model = _one_model(labels, predictions)
    accuracy, low, high = example_interval(model, "para_acc", resamples=2000)
    assert accuracy == (labels == predictions).mean()
    half = 1.96 * math.sqrt(accuracy * (1 - accuracy) / 1_000)  # the normal approximation
    assert (high - low) / 2 == pytest.approx(half, rel=0.1)
    assert low < accuracy < high
    perfect = _one_model(labels, labels)
    assert example_interval(perfect, "para_acc", resamples=200) == (1.0, 1.0, 1.0)


def test_a_real_difference_is_significant_and_no_difference_is_not():
    rng = np.random.default_rng(1)
    labels, a, b = _population(rng, 2_000)
    data = {"sst": (labels.astype(float), a[None].astype(float), b[None].astype(float))}
    real = paired_bootstrap_arrays(data, "sst_acc", resamples=1000)
    assert real.difference == pytest.approx((a == labels).mean() - (b == labels).mean())
    assert real.significant and real.p_value < 0.01 and real.low > 0
    same = paired_bootstrap_arrays({"sst": (data["sst"][0], data["sst"][1], data["sst"][1])},
                                   "sst_acc", resamples=200)
    assert same.difference == 0 and same.p_value == 1.0 and not same.significant


def test_pearson_and_the_composite_resample_every_task():
    rng = np.random.default_rng(2)
    y = rng.uniform(0, 5, 400)
    good, poor = y + rng.normal(0, 0.5, 400), y + rng.normal(0, 3, 400)
    data = {"sts": (y, good[None], poor[None])}
    d = paired_bootstrap_arrays(data, "sts_pearson", resamples=300)
    assert d.difference == pytest.approx(np.corrcoef(good, y)[0, 1] - np.corrcoef(poor, y)[0, 1])
    assert d.significant
    labels = rng.integers(0, 2, 400).astype(float)
    data["para"] = (labels, labels[None], labels[None])
    score = paired_bootstrap_arrays(data, "score", resamples=300)
    assert score.difference == pytest.approx(d.difference / 2 / 2)  # (r+1)/2, averaged over 2
    with pytest.raises(ValueError, match="needs tasks"):
        paired_bootstrap_arrays({"sts": data["sts"]}, "sst_acc")


def test_macro_recall_rewards_the_rare_classes():
    labels = np.array([0] * 90 + [1] * 10, float)
    majority = np.zeros(100)  # accuracy 0.9, macro recall 0.5
    balanced = labels.copy()
    balanced[:20] = 1  # accuracy 0.8, macro recall (70/90 + 1) / 2
    data = {"sst": (labels, balanced[None], majority[None])}
    d = paired_bootstrap_arrays(data, SST_MACRO_RECALL, resamples=200)
    assert d.difference == pytest.approx((70 / 90 + 1) / 2 - 0.5)
    assert paired_bootstrap_arrays(data, "sst_acc", resamples=200).difference == pytest.approx(
        -0.1)


def _seeded(offset: int, n_seeds: int = 2) -> list[dict]:
    return [fake_result(seed=offset + s) for s in range(n_seeds)]


def test_results_are_paired_by_seed_and_summarised():
    results = {"x": _seeded(0), "y": _seeded(0)}
    d = paired_bootstrap(results["x"], results["y"], "score", resamples=100)
    assert d.difference == 0.0  # the fake runs share their predictions
    summary = seed_summary(results, ["sst_acc", SST_MACRO_RECALL])
    assert summary["seeds"].tolist() == [2, 2]
    assert summary.loc[0, "sst_acc"] == pytest.approx(metric_value(results["x"][0], "sst_acc"))
    # the fake SST run predicts only 1 and 3, and gets both of each right: recall 1 for them
    assert summary.loc[0, SST_MACRO_RECALL] == pytest.approx((0 + 1 + 0 + 1 + 0) / 5)
    table = compare(results, [("x", "y")], ["score", "sst_acc"], resamples=100)
    assert table["verdict"].tolist() == [NOT_SIGNIFICANT, NOT_SIGNIFICANT]
    marked = marked_summary(results, "score", reference="y", resamples=100)
    assert marked["significant"].tolist() == [NOT_SIGNIFICANT, "reference"]
    # any number of seeds a side: the difference is between the two means over seeds
    three = paired_bootstrap(_seeded(0, 3), results["y"], "sst_acc", resamples=100)
    means = [np.mean([metric_value(r, "sst_acc") for r in runs])
             for runs in (_seeded(0, 3), results["y"])]
    assert three.difference == pytest.approx(means[0] - means[1])
    with pytest.raises(ValueError, match="at least one run"):
        paired_bootstrap([], results["y"])


def test_runs_on_different_dev_examples_are_refused():
    a, b = fake_result(), fake_result()
    b["predictions"] = {**b["predictions"], "sst": {**b["predictions"]["sst"],
                                                     "ids": [f"z{i}" for i in range(10)]}}
    with pytest.raises(ValueError, match="different sst dev examples"):
        paired_bootstrap([a], [b], "sst_acc")
