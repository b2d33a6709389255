from __future__ import annotations

import pandas as pd
from fake_runs import fake_result

from minbert_lab.analysis.readings import (
    compare_with_paper,
    curves_reading,
    dropout_reading,
    noise_margin,
)

BIG_DEV = {"sst": 10_000, "para": 10_000, "sts": 10_000}


def table1(ours: list[float], profile: str = "quick") -> pd.DataFrame:
    frame = pd.DataFrame({
        "label": ["cross entropy loss", "cross entropy loss + SMART (lambda=3)",
                  "cross entropy loss + L2"],
        "ours_sst_acc": ours,
        "paper_sst_acc": [0.512, 0.527, 0.520],
    })
    frame.attrs = {"table": "1", "profile": profile, "checkpoint": "minilm-l6"}
    return frame


def test_reading_names_best_rows_and_judges_each_claim():
    text = compare_with_paper(table1([0.50, 0.45, 0.53]), BIG_DEV)
    assert "Ours: *cross entropy loss + L2* (0.530)" in text
    assert "the paper's: *cross entropy loss + SMART (lambda=3)* (0.527) — a different row" in text
    assert "above the paper in 1 of 3 rows" in text
    smart, l2 = [line for line in text.splitlines() if "improves single-task SST" in line]
    assert "**not reproduced**" in smart and "ours -0.050" in smart
    assert l2.endswith("reproduced.") and "not" not in l2
    assert "Likely reasons" in text and "all-MiniLM-L6-v2" in text
    assert text.startswith("*Quick profile")


def test_small_differences_are_too_close_to_call():
    text = compare_with_paper(table1([0.50, 0.52, 0.51]), {"sst": 100, "para": 100, "sts": 100})
    assert text.count("too close to call here") == 2


def test_identical_rows_are_called_indistinguishable():
    text = compare_with_paper(table1([0.2, 0.2, 0.2], profile="smoke"), BIG_DEV)
    assert "too small to tell the configurations apart" in text
    assert "meaningless" in text


def test_noise_margin_shrinks_with_the_dev_set():
    assert noise_margin("sst_acc", {"sst": 100}) > noise_margin("sst_acc", {"sst": 10_000})
    # the composite is judged on the smallest dev set
    dev = {"sst": 100, "para": 10_000, "sts": 10_000}
    assert noise_margin("score", dev) == noise_margin("sst_acc", dev)


def test_dropout_reading_counts_tasks_that_pick_point_one():
    table = pd.DataFrame({"task": ["SST-5 sentiment", "STS-B similarity"],
                          "metric": ["sst_acc", "sts_pearson"],
                          "dropout 0.1": [0.5, 0.2], "dropout 0.3": [0.4, 0.6],
                          "dropout 0.5": [0.3, 0.1], "best dropout": [0.1, 0.3]})
    table.attrs = {"profile": "quick"}
    text = dropout_reading(table, BIG_DEV)
    assert "ours picks 0.1 for 1 of 2 tasks" in text
    assert "STS-B similarity: best dropout 0.3" in text


def test_curves_reading_lists_each_runs_dev_metric_per_epoch():
    text = curves_reading({"sequential": fake_result(ordering="sequential"),
                           "shuffled": fake_result()})
    assert "sequential: 0.400 → 0.500" in text
    assert "With 2 epochs here" in text


def test_tied_rows_have_no_best_row():
    text = compare_with_paper(table1([0.3, 0.3, 0.3]), BIG_DEV)
    assert "Ours: none, every row ties at 0.300" in text
