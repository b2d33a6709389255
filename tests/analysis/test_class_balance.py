"""SST per-class recall and predicted shares of plain vs re-balanced runs."""

from __future__ import annotations

from fake_runs import fake_result

from minbert_lab.analysis.class_balance import per_class_recall, recall_frame, recall_table


def test_per_class_recall_of_one_run():
    recall = per_class_recall(fake_result())
    assert recall["recall"].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]
    assert recall["predicted share"].tolist() == [0.0, 0.5, 0.0, 0.5, 0.0]
    assert recall["true share"].tolist() == [0.2] * 5


def test_recall_frame_averages_seeds_and_the_table_has_a_column_per_class():
    results = {"plain CE": [fake_result(seed=s) for s in range(2)],
               "balanced": [fake_result(seed=s) for s in range(2)]}
    frame = recall_frame(results)
    assert frame["label"].unique().tolist() == ["plain CE", "balanced"]
    assert (frame["recall_std"] == 0).all()  # the fake seeds share their predictions
    table = recall_table(frame)
    assert table.columns.tolist() == ["label", *(f"recall {c}" for c in range(5))]
    assert table["label"].tolist() == ["plain CE", "balanced"]
