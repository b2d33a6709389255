from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fake_runs import fake_result

from minbert_lab.analysis.ensemble import ensemble
from minbert_lab.analysis.recipe import (
    ablation_table,
    combined_single_task,
    confirmation_table,
    multitask_claims,
    one_against_three_reading,
    recipe_comparisons,
    recipe_reading,
    recipe_summary,
)
from minbert_lab.config import TaskConfig


def _single(task: str, seed: int = 0) -> dict:
    head = "linear" if task == "sst" else "cross_encoder"
    loss = {"sst": "cross_entropy", "para": "bce", "sts": "mse"}[task]
    return fake_result({task: TaskConfig(head, loss)}, seed=seed)


def test_combined_single_task_is_the_three_models_together() -> None:
    refs = {t: _single(t) for t in ("sst", "para", "sts")}
    both = combined_single_task(refs)
    assert set(both["predictions"]) == {"sst", "para", "sts"}
    m = both["metrics"]
    assert m["score"] == pytest.approx((m["sst_acc"] + (m["sts_pearson"] + 1) / 2
                                        + m["para_acc"]) / 3)


def test_summary_comparisons_and_reading_come_from_the_numbers() -> None:
    recipe = [fake_result(seed=s) for s in range(3)]
    refs = combined_single_task({t: _single(t) for t in ("sst", "para", "sts")})
    results = {"ours": recipe, "single-task": [refs], "paper's best config": [fake_result(seed=9)]}
    summary = recipe_summary(results, paper={"paper": {"score": 0.747}})
    assert list(summary["label"]) == ["ours", "single-task", "paper's best config", "paper"]
    assert summary.loc[0, "score_low"] <= summary.loc[0, "score"] <= summary.loc[0, "score_high"]
    comparisons = recipe_comparisons("ours", results, resamples=200)
    assert set(comparisons["b"]) == {"single-task", "paper's best config"}
    assert np.all(comparisons["low"] <= comparisons["high"])
    text = recipe_reading(summary, "ours", comparisons, target=0.0)
    assert "reaches the 0.0 target" in text and "against single-task" in text


def test_three_single_task_models_per_seed_ensemble_like_one_model() -> None:
    def three_models(seed: int) -> dict:
        refs = {t: _single(t, seed) for t in ("sst", "para", "sts")}
        sst = refs["sst"]["predictions"]["sst"]
        refs["sst"]["predictions"] = {"sst": {**sst, "probabilities": np.eye(5)[
            np.asarray(sst["predictions"])].tolist()}}
        return combined_single_task(refs)

    runs = [three_models(seed) for seed in (0, 1)]
    assert runs[0]["config"]["tasks"]["para"]["loss"] == "bce"
    averaged = ensemble(runs)
    assert averaged["members"] == [0, 1]
    # two members with the same outputs average to either one
    assert averaged["metrics"] == ensemble(runs[:1])["metrics"]


def test_an_ensemble_row_counts_its_members_and_has_a_dev_example_interval() -> None:
    recipe = [fake_result(seed=s) for s in range(3)]
    averaged = {**recipe[0], "members": [0, 1, 2]}
    summary = recipe_summary({"ours": recipe, "ensemble": [averaged]},
                             one_model=["ensemble"]).set_index("label")
    assert summary.loc["ensemble", "seeds"] == 3
    # three identical fake seeds: no seed interval's width, but the dev examples still vary
    assert summary.loc["ours", "score_low"] == summary.loc["ours", "score_high"]
    assert summary.loc["ensemble", "score_low"] < summary.loc["ensemble", "score_high"]


def test_ablations_and_claims_have_intervals_and_verdicts() -> None:
    recipe = fake_result(seed=0)
    table = ablation_table(recipe, {"without mean pooling": fake_result(seed=1),
                                    "without itself": recipe}, resamples=200)
    assert list(table["lever"]) == ["mean pooling", "itself"]
    assert table.loc[1, "score gain"] == 0 and table.loc[1, "verdict"] == "not significant"
    assert table.loc[1, "time cost"] == "1.00x"
    claims = multitask_claims([fake_result(seed=s) for s in range(2)],
                              {t: [_single(t)] for t in ("sst", "para", "sts")}, resamples=200)
    assert list(claims["metric"]) == ["sts_pearson", "sst_acc"]
    assert set(claims["verdict"]) <= {"reproduced", "contradicted", "not significant"}


def test_a_confirmation_compares_every_seed_of_each_side() -> None:
    recipe = [fake_result(seed=s) for s in range(3)]
    with_lever = []
    for seed, sst in ((0, 0.5), (1, 0.6)):
        run = fake_result(seed=seed)
        run["metrics"] = {**run["metrics"], "sst_acc": sst}
        run["timings"] = {**run["timings"], "train_seconds": 2.0}
        with_lever.append(run)
    table = confirmation_table(recipe, {"with 4 epochs": with_lever}, resamples=200)
    row = table.iloc[0]
    assert (row["lever"], row["seeds"]) == ("4 epochs", "2 / 3")
    assert row["sst gain"] == pytest.approx(0.55 - recipe[0]["metrics"]["sst_acc"])
    assert row["para gain"] == 0 and row["time cost"] == "2.00x"
    assert row["cost from"] == "wall clock"  # the fake runs carry no CPU time
    assert row["low"] <= row["score gain"] <= row["high"]


def test_a_levers_time_cost_is_from_cpu_time_when_every_run_has_it() -> None:
    recipe = [fake_result(seed=s) for s in range(2)]
    lever = [fake_result(seed=s) for s in range(2)]
    for runs, cpu in ((recipe, 4.0), (lever, 6.0)):
        for run in runs:  # lever seed 0 was paused for a while: its wall clock says 10x
            run["timings"] = {**run["timings"], "train_cpu_seconds": cpu}
    lever[0]["timings"]["train_seconds"] = 10 * recipe[0]["timings"]["train_seconds"]
    row = confirmation_table(recipe, {"with 4 epochs": lever}, resamples=50).iloc[0]
    assert (row["time cost"], row["cost from"]) == ("1.50x", "CPU time")
    del recipe[1]["timings"]["train_cpu_seconds"]  # a run stored before CPU time was kept
    row = confirmation_table(recipe, {"with 4 epochs": lever}, resamples=50).iloc[0]
    assert (row["time cost"], row["cost from"]) == ("5.50x", "wall clock")


def test_zero_shot_reading_names_the_rows_below_it() -> None:
    import pandas as pd

    from minbert_lab.analysis.recipe import zero_shot_reading

    frame = pd.DataFrame({"label": ["S-CS + MSE", "CE + MSE", "zero-shot"],
                          "ours_sts_pearson": [0.71, 0.85, 0.84]})
    text = zero_shot_reading(frame, "sts", "zero-shot")
    assert "0.840" in text and "S-CS + MSE (0.710)" in text and "CE + MSE" not in text
    assert "Siamese" in text and "1 of 2" in text
    frame.loc[0, "ours_sts_pearson"] = 0.9
    assert "Every fine-tuned row beats it" in zero_shot_reading(frame, "sts", "zero-shot")


def test_the_study_question_is_answered_with_what_the_test_could_detect() -> None:
    rows = [{"a": "one", "b": "three fair", "metric": "score", "difference": 0.006,
             "low": -0.004, "high": 0.017, "p_value": 0.24, "verdict": "not significant",
             "detectable": 0.0152},
            {"a": "one", "b": "three best", "metric": "score", "difference": -0.003,
             "low": -0.013, "high": 0.008, "p_value": 0.6, "verdict": "not significant",
             "detectable": 0.0145},
            {"a": "one", "b": "three best", "metric": "sst_acc", "difference": 0.03,
             "low": 0.01, "high": 0.05, "p_value": 0.01, "verdict": "one", "detectable": 0.02}]
    reading = one_against_three_reading(pd.DataFrame(rows), "one")
    assert reading.startswith("**One model beating three is not shown:**")
    assert "a difference of about 0.015 or more" in reading  # the smaller of the two
    assert "- against three fair: +0.0060 [-0.0040, +0.0170], p = 0.240: not significant " \
           "(detectable: 0.015)." in reading
    rows[0].update(verdict="one", p_value=0.01, low=0.001)
    assert one_against_three_reading(pd.DataFrame(rows), "one").startswith(
        "**One model beats three:** significantly, against three fair.")
