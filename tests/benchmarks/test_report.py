"""The training benchmark's section, from a record made up here: layout, speed-ups, targets."""

from __future__ import annotations

import statistics
from types import SimpleNamespace

from benchmarks.contenders import Workload
from benchmarks.harness import LoadLog
from benchmarks.profiling import COLUMNS
from benchmarks.report import Row, TrainingBench, quantile, report, section_heading


def _contender(name: str, precision: str = "fp32"):
    label = "bf16 autocast" if precision == "bf16" else "fp32"
    return SimpleNamespace(name=name, precision=precision, precision_label=label)


def _bench(**changes) -> TrainingBench:
    racers = [_contender("ref"), _contender("ours"), _contender("ours bf16", "bf16")]
    train, evaluation = Workload("train", 4, 8), Workload("eval", 8, 16)
    train_times = {"ref": [0.3] * 3, "ours": [0.15, 0.15, 0.1], "ours bf16": [0.1] * 3}
    eval_times = {"ref": [0.1] * 3, "ours": [0.1] * 3, "ours bf16": [0.05] * 3}
    rows = [Row(train, 0.25, train_times, 3e9), Row(evaluation, 0.0, eval_times, 1e9)]
    values = dict(
        machine="A CPU", weights="tiny weights", command="python -m benchmarks.bench_training",
        contenders=racers, peaks={"fp32": 1e10, "bf16": 2e10}, rows=rows,
        load=LoadLog(redone=2, kept=1), retries=4, load_average="1.00 1.00 1.00",
    )  # fmt: skip
    return TrainingBench(**{**values, **changes})


def test_report_tables_speed_ups_and_targets():
    text = report(_bench())
    assert text.startswith("A CPU. tiny weights;")
    assert "medians of 3 rounds" in text and "used over 10% of the CPUs: 2;" in text
    assert "after 4 retries: 1." in text
    assert "| train step, 4 x 8, 25% padding | ref | fp32 | 300.0 ms | 1 | | 100% |" in text
    assert "| | ours | fp32 | 150.0 ms | **2.00x** | 2.00-3.00 | 200% |" in text
    assert "| | ours bf16 | bf16 autocast | 100.0 ms | 3.00x |" in text
    assert "| eval forward, 8 x 16 | ref |" in text  # no padding: no share in the label
    assert "- train step, 4 x 8: 2.000x for a target of 1.5x, met; bound 1.00x" in text
    assert "- eval forward, 8 x 16: 1.000x for a target of 1.3x, not met;" in text
    assert "### Where the time goes" not in text and "### Evaluation batch size" not in text


def test_profile_and_sweep_sections_when_measured():
    by_contender = {name: dict.fromkeys(COLUMNS, 0.001) for name in ("ref", "ours", "ours bf16")}
    bench = _bench(
        profiles={Workload("train", 4, 8): by_contender}, profiled_calls=5,
        sweep=[(32, 0.2), (64, 0.4)],
    )  # fmt: skip
    text = report(bench)
    assert "the median of 5 profiled calls" in text
    cells = " | ".join(["1 ms"] * len(COLUMNS))
    assert f"| train step, 4 x 8 | ref | {cells} | {len(COLUMNS)} ms |" in text
    assert "### Evaluation batch size: ours, fp32, 64 tokens" in text
    assert "| 32 | 200 | 160 |" in text


def test_heading_and_quantile():
    assert section_heading("CPU", quick=True).endswith(": CPU (quick sanity run)")
    values = sorted([1.0, 2.0, 3.0, 4.0, 5.0])
    assert quantile(values, 0.5) == statistics.median(values)
    assert (quantile(values, 0.0), quantile(values, 1.0)) == (1.0, 5.0)
