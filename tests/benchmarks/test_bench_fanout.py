"""The fan-out benchmark times Table 4 in fp32 and reports the speed-up over the serial arm."""

from __future__ import annotations

from benchmarks.bench_fanout import SERIAL, Arm, report, table4_fp32
from minbert_lab.experiments.grids import grid_configs


def test_the_grid_is_table_4_in_fp32():
    configs, table4 = table4_fp32("smoke"), grid_configs("4", profile="smoke")
    assert list(configs) == list(table4)
    assert all(c.precision == "fp32" and c.tasks == table4[label].tasks
               for label, c in configs.items())


def test_report_gives_the_speed_up_over_serial():
    scores = {"a": 0.5, "b": 0.6}
    arms = [Arm(SERIAL, 200.0, 180.0, scores, "2.00 -> 2.00"),
            Arm("fan-out, 2 workers x 1 thread(s)", 125.0, 230.0, {"a": 0.5, "b": 0.61},
                "2.00 -> 2.00")]
    text = report(arms, profile="quick", workers=2, threads=1)
    assert "| serial | 200.0 | 180.0 | 1.00x |" in text
    assert "| fan-out, 2 workers x 1 thread(s) | 125.0 | 230.0 | 1.60x |" in text
    assert "one process on 2 torch threads" in text and "0.0100" in text
