"""Written verdicts: one method (the paired bootstrap) and one vocabulary for every claim."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from facts import says
from fake_runs import MULTITASK, fake_probed_result, fake_result, with_predictions

from minbert_lab.analysis.class_balance import recall_frame
from minbert_lab.analysis.verdicts import (
    CONTRADICTED,
    REPRODUCED,
    Claim,
    balance_reading,
    claims_reading,
    claims_table,
    compare_with_paper,
    comparison_reading,
    curves_reading,
    dropout_reading,
    reseed_lines,
    reseed_table,
    table_reading,
)
from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.experiments.grids import table4
from minbert_lab.metrics import SST_MACRO_RECALL
from minbert_lab.stats.significance import NOT_SIGNIFICANT, compare, seed_summary

PLAIN, SMART, L2 = ("cross entropy loss", "cross entropy loss + SMART (lambda=3)",
                    "cross entropy loss + L2")
SST_LABELS = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]  # fake_runs' SST dev labels
PERFECT, ALL_WRONG = SST_LABELS, [(y + 1) % 5 for y in SST_LABELS]


@pytest.fixture
def table1_runs() -> dict[str, list[dict]]:
    """Table 1 over one seed: SMART perfect (beats plain), L2 always wrong (loses to plain;
    plain gets 4 of 10 right)."""
    sst = {"sst": MULTITASK["sst"]}
    return {PLAIN: [fake_result(sst)],
            SMART: [with_predictions(fake_result(sst), "sst", PERFECT)],
            L2: [with_predictions(fake_result(sst), "sst", ALL_WRONG)]}


def table1_frame(ours: list[float], profile: str = "quick") -> pd.DataFrame:
    frame = pd.DataFrame({"label": [PLAIN, SMART, L2], "ours_sst_acc": ours,
                          "paper_sst_acc": [0.512, 0.527, 0.520]})
    frame.attrs = {"table": "1", "profile": profile, "checkpoint": DEFAULT_CHECKPOINT}
    return frame


def test_claims_are_judged_by_the_bootstrap_in_one_vocabulary(table1_runs):
    claims = claims_table(table1_runs, "1", profile="smoke", resamples=300)
    assert claims["verdict"].tolist() == [REPRODUCED, CONTRADICTED]
    assert claims["paper"].tolist() == pytest.approx([0.527 - 0.512, 0.520 - 0.512])
    assert claims["ours"].tolist() == pytest.approx([1.0 - 0.4, 0.0 - 0.4])
    assert (claims["p_value"] < 0.05).all() and claims.attrs["seeds"] == 1
    says(claims_reading(claims), "one seed")


def test_identical_runs_are_not_significant_over_seeds():
    labels = [row.label for row in table4("smoke")]
    results = {label: [fake_result(MULTITASK, seed=s) for s in range(2)] for label in labels}
    claims = claims_table(results, "4", profile="smoke", resamples=50)
    assert len(claims) == 3 and set(claims["verdict"]) == {NOT_SIGNIFICANT}
    assert claims.loc[0, "paper"] == pytest.approx(0.731 - 0.539)
    text = claims_reading(claims)
    assert "2 seeds" in text and f"3 {NOT_SIGNIFICANT}" in text and "meaningless" in text
    with pytest.raises(ValueError, match="table='9'"):
        claims_table(results, "9", profile="smoke")


def test_table_and_claims_readings_give_the_same_verdicts(table1_runs, data_dir: Path):
    """Notebooks 01/02 (table_reading) and 04 (claims_reading) judge a claim the same way."""
    table = table_reading(table1_frame([0.4, 1.0, 0.0]), table1_runs, data_dir, resamples=300)
    claims = claims_reading(claims_table(table1_runs, "1", profile="quick", resamples=300))
    verdict_lines = [line.strip() for line in claims.splitlines() if "**" in line]
    assert verdict_lines and all(line in table for line in verdict_lines)
    assert f"**{REPRODUCED}**" in table and f"**{CONTRADICTED}**" in table


def test_reading_names_best_rows_level_and_reasons(table1_runs):
    claims = claims_table(table1_runs, "1", profile="quick", resamples=100)
    text = compare_with_paper(table1_frame([0.50, 0.45, 0.53]), claims)
    # our best row, then the paper's, and that they differ
    says(text, "Ours", f"*{L2}* (0.530)", "paper", f"*{SMART}* (0.527)", "different")
    says(text, "above the paper", "1 of 3")
    assert "Likely reasons" in text and "all-MiniLM-L6-v2" in text
    assert text.startswith("*quick profile")


def test_rows_not_run_yet_leave_the_level_and_the_ordering():
    """A ``--stored-only`` table: rows not run yet are compared with nothing."""
    text = compare_with_paper(table1_frame([0.50, None, 0.53]))
    says(text, "above the paper", "1 of 2 rows run so far", "1 not run yet")
    says(text, "the paper's 0.512–0.520")  # the paper's span over the same two rows
    says(text, "paper", f"*{SMART}* (0.527)")  # its best row is still its best row
    says(compare_with_paper(table1_frame([None, None, None])), "Not run yet", "No row")


def test_reference_rows_without_a_paper_number_leave_the_level_and_the_ordering():
    """A zero-shot or recipe row has no paper number: it is compared with nothing, so it
    neither counts as "not above the paper" nor moves the rank correlation."""
    frame = table1_frame([0.40, 0.60, 0.50])
    reference = pd.DataFrame({"label": ["zero-shot"], "ours_sst_acc": [0.45],
                              "paper_sst_acc": [None]})
    table = pd.concat([frame, reference], ignore_index=True)
    table.attrs = frame.attrs
    text = compare_with_paper(table)
    says(text, "1 of 3 rows", "1 reference row with no paper number")
    says(text, "ρ = +1.00")  # our three rows rank exactly as the paper's


def test_identical_and_tied_rows():
    text = compare_with_paper(table1_frame([0.2, 0.2, 0.2], profile="smoke"))
    assert "meaningless" in text
    says(text, "Ours", "none", "ties", "0.200")  # no best row of ours
    says(text, "Ordering", "same value")  # and no ordering to compare with the paper's


def test_dropout_reading_counts_tasks_and_tests_point_one():
    table = pd.DataFrame({"task": ["SST-5 sentiment", "STS-B similarity"],
                          "metric": ["sst_acc", "sts_pearson"],
                          "dropout 0.1": [0.5, 0.2], "dropout 0.3": [0.4, 0.6],
                          "dropout 0.5": [0.3, 0.1], "best dropout": [0.1, 0.3]})
    table.attrs = {"table": "dropout", "profile": "quick"}
    sst = {"sst": MULTITASK["sst"]}
    runs = {"sst dropout 0.1": [with_predictions(fake_result(sst), "sst", PERFECT)],
            "sst dropout 0.3": [fake_result(sst)], "sst dropout 0.5": [fake_result(sst)]}
    text = dropout_reading(table, claims_table(runs, "dropout", profile="quick",
                                               resamples=200))
    says(text, "ours", "0.1", "1 of 2 tasks")
    says(text, "STS-B similarity", "best dropout 0.3")
    says(text, "SST-5 sentiment", "0.1", "0.3", REPRODUCED)
    assert f"2 {REPRODUCED}" in text


def test_curves_reading_lists_each_runs_dev_metric_per_epoch():
    text = curves_reading({"sequential": fake_result(ordering="sequential"),
                           "shuffled": fake_result()})
    says(text, "sequential", "0.400", "0.500")  # each epoch's dev metric, in order
    says(text, "2 epochs")


def test_comparison_reading_words_the_bootstrap_and_pcgrad():
    runs = {"plain": [fake_probed_result(s) for s in range(3)],
            "pcgrad": [fake_probed_result(s, shift=0.2, surgery=True) for s in range(3)]}
    summary = seed_summary(runs, ["score"])
    tests = compare(runs, [("pcgrad", "plain")], ["score"], resamples=50)
    text = comparison_reading(summary, tests, profile="smoke", results=runs)
    says(text, "PCGrad", "50%")
    assert NOT_SIGNIFICANT in text


def test_balance_reading_words_each_comparison_the_same_way():
    sst = {"sst": MULTITASK["sst"]}
    results = {"plain CE": [fake_result(sst, seed=s) for s in range(2)],
               "balanced": [with_predictions(fake_result(sst, seed=s), "sst", PERFECT)
                            for s in range(2)],
               "weighted": [fake_result(sst, seed=s) for s in range(2)]}
    summary = seed_summary(results, ["sst_acc", SST_MACRO_RECALL])
    tests = compare(results, [("balanced", "plain CE"), ("weighted", "plain CE")],
                    ["sst_acc", SST_MACRO_RECALL], resamples=200)
    text = balance_reading(summary, tests, recall_frame(results), reference="plain CE",
                           profile="smoke")
    says(text, "plain CE", "never", "0, 2, 4")
    says(text, "balanced", "every class")
    says(text, "balanced", "plain CE", "SST accuracy", "+0.600", "significant", "balanced better")
    assert NOT_SIGNIFICANT in text


def test_a_verdict_on_one_seed_can_flip_when_more_seeds_land():
    """SMART beats plain on seed 0 (a perfect run); seeds 1 and 2 of SMART are all wrong, so
    over three seeds the claim is no longer reproduced; L2 keeps losing."""
    sst = {"sst": MULTITASK["sst"]}

    def run(seed: int, predictions: list | None = None) -> dict:
        result = fake_result(sst, seed=seed)
        return with_predictions(result, "sst", predictions) if predictions else result

    results = {PLAIN: [run(s) for s in range(3)],
               SMART: [run(0, PERFECT), run(1, ALL_WRONG), run(2, ALL_WRONG)],
               L2: [run(s, ALL_WRONG) for s in range(3)]}
    reseed = reseed_table(results, "1", profile="smoke", resamples=300)
    smart, l2 = reseed.iloc[0], reseed.iloc[1]
    assert smart["seed 0 verdict"] == REPRODUCED and smart["all seeds verdict"] != REPRODUCED
    assert smart["held"] == f"{REPRODUCED} -> {smart['all seeds verdict']}"
    assert l2["held"] == "held" and l2["seeds"] == "3 / 3"
    assert smart["seed 0"].startswith("+0.600 [")  # the difference and its interval, one cell
    lines = reseed_lines(reseed)
    assert lines and "1 of 2 verdicts on seed 0 alone held" in lines[0]


def test_claims_of_our_own_are_tested_like_the_papers(table1_runs):
    """Given its own claims (and their rows' numbers to show beside), the table tests them
    with the same bootstrap and vocabulary; a claim with a side not stored is left out."""
    claims = [Claim(SMART, PLAIN, "sst_acc", "SMART beats plain"),
              Claim(PLAIN, L2, "sst_acc", "plain beats L2"),
              Claim(PLAIN, "not stored", "sst_acc", "left out")]
    table = claims_table(table1_runs, "ours", profile="smoke", claims=claims,
                         paper={SMART: {"sst_acc": 0.6}, PLAIN: {"sst_acc": 0.5}},
                         resamples=300)
    assert table["claim"].tolist() == ["SMART beats plain", "plain beats L2"]
    assert table["verdict"].tolist() == [REPRODUCED, REPRODUCED]
    assert table["paper"].tolist()[0] == pytest.approx(0.1) and pd.isna(table["paper"][1])
    reseed = reseed_table(table1_runs, "ours", profile="smoke", claims=claims, resamples=300)
    assert reseed["held"].tolist() == ["held", "held"] and set(reseed["table"]) == {"ours"}
