"""The epoch benchmark times Table 4's row by its label, batched three ways."""

from __future__ import annotations

import pytest

from benchmarks import bench_epoch
from benchmarks.bench_epoch import REFERENCE, ROW, contenders, report
from minbert_lab.experiments.grids import table4


def test_the_row_is_found_by_its_label_and_batched_three_ways():
    expected = next(row for row in table4(profile="smoke") if row.label == ROW).config
    runs = contenders("smoke")
    assert list(runs) == ["bucketed, dynamic padding", "random batches, dynamic padding", REFERENCE]
    for config, _ in runs.values():
        assert (config.epochs, config.max_length, config.tasks) == (1, 128, expected.tasks)
    assert [c.bucket_by_length for c, _ in runs.values()] == [True, False, False]
    assert [pad_to for _, pad_to in runs.values()] == [None, None, 128]


def test_a_renamed_row_is_an_error_that_lists_the_rows(monkeypatch):
    monkeypatch.setattr(bench_epoch, "ROW", "No such row")
    with pytest.raises(ValueError, match="No such row.*Shuffled batches"):
        bench_epoch.contenders("smoke")


def test_report_gives_speed_ups_over_padding_to_128():
    runs = contenders("smoke")
    seconds = {"bucketed, dynamic padding": 10.0, "random batches, dynamic padding": 20.0,
               REFERENCE: 30.0}  # fmt: skip
    text = report(seconds, runs[REFERENCE][0], "smoke")
    assert f'Table 4\'s "{ROW}" in the smoke profile' in text
    assert "| bucketed, dynamic padding | 10.0 | 3.00x |" in text
    assert f"| {REFERENCE} | 30.0 | 1.00x |" in text
