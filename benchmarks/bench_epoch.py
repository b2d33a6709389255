"""End-to-end: one epoch of the quick-profile multitask run, length-bucketed dynamic padding
vs every batch padded to 128 tokens. Appends its table to benchmarks/RESULTS.md.

    python benchmarks/bench_epoch.py [--data-dir data] [--profile quick]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
from pathlib import Path

import torch
from bench_training import replace_section  # benchmarks/ is on the path when run as a script

from minbert_lab.experiments.grids import table4
from minbert_lab.training.loop import train

SECTION = "## End-to-end epoch: bucketed dynamic padding vs pad-to-128"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args()

    # "Shuffled batches + SST unreg'd"; every contender truncates at 128 tokens, so the
    # batches hold the same tokens and only the padding differs.
    base = dataclasses.replace(table4(profile=args.profile)[3].config, epochs=1, max_length=128)
    contenders = {  # name: (config, pad_to)
        "bucketed, dynamic padding": (dataclasses.replace(base, bucket_by_length=True), None),
        "random batches, dynamic padding": (dataclasses.replace(base, bucket_by_length=False),
                                            None),
        "random batches, padded to 128": (dataclasses.replace(base, bucket_by_length=False),
                                          128),
    }
    seconds = {}
    for name, (config, pad_to) in contenders.items():
        result = train(config, data_dir=args.data_dir, device="cpu", pad_to=pad_to)
        seconds[name] = result["timings"]["train_seconds"]
        steps = len(result["history"]["steps"])
        print(f"{name}: {seconds[name]:.1f} s for {steps} steps")
    reference = seconds["random batches, padded to 128"]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"One training epoch (no evaluation) of Table 4's \"Shuffled batches + SST unreg'd\" in "
        f"the {args.profile} profile ({base.resolved().precision}, sentences truncated at 128 "
        f"tokens), all three tasks, on {platform.processor() or 'CPU'} with "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}. Run one after another "
        f"in one process; load average at the end {load}.", "",
        "| batching | epoch seconds | speed-up vs pad-to-128 |", "| --- | ---: | ---: |",
        *[f"| {n} | {s:.1f} | {reference / s:.2f}x |" for n, s in seconds.items()], "",
    ]
    out = Path(args.out)
    text = out.read_text() if out.exists() else "# Benchmark results\n\n"
    out.write_text(replace_section(text, SECTION, "\n".join(lines)))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
