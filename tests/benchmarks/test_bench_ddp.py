"""The DDP benchmark's section compares each arm with the one doing the same work."""

from benchmarks.bench_ddp import report


def test_each_arm_is_compared_with_its_own_baseline():
    seconds = {"1 process x 2 threads": [40.0, 40.0],
               "2 ranks x 1 thread (DDP, gloo)": [50.0, 50.0],
               "SST only, 2 ranks, find_unused_parameters=True": [20.0],
               "SST only, 2 ranks, find_unused_parameters=False": [16.0]}
    text = report(seconds, profile="quick", rounds=2, machine="A CPU", load="1.0 1.0 1.0")
    assert "| 1 process x 2 threads | 40.0 | 40.0, 40.0 | (baseline) |" in text
    assert "| 0.80x vs 1 process x 2 threads |" in text
    assert "| 0.80x vs SST only, 2 ranks, find_unused_parameters=False |" in text
