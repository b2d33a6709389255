"""End-to-end: one epoch of the quick-profile multitask run, length-bucketed dynamic padding
vs every batch padded to 128 tokens. Writes its section of ``benchmarks/RESULTS.md``. From the
repository root:

    python -m benchmarks.bench_epoch [--data-dir data] [--profile quick]
"""

from __future__ import annotations

import argparse
import dataclasses

import torch

from benchmarks.harness import cpu_model, load_average
from benchmarks.results_file import RESULTS, write_section
from minbert_lab.config import RunConfig
from minbert_lab.experiments.grids import table4
from minbert_lab.training.loop import train

SECTION = "## End-to-end epoch: bucketed dynamic padding vs pad-to-128"
ROW = "Shuffled batches + SST unreg'd"  # the Table 4 row whose epoch is timed
REFERENCE = "random batches, padded to 128"


def contenders(profile: str) -> dict[str, tuple[RunConfig, int | None]]:
    """name -> (config, pad_to): Table 4's ``ROW`` for one epoch, batched three ways. Every one
    truncates at 128 tokens, so the batches hold the same tokens and only the padding differs.

    Raises:
        ValueError: Table 4 has no row labelled ``ROW``.
    """
    rows = {row.label: row for row in table4(profile=profile)}
    if ROW not in rows:
        raise ValueError(f"Table 4 has no row {ROW!r}; its rows are {list(rows)}")
    base = dataclasses.replace(rows[ROW].config, epochs=1, max_length=128)
    return {
        "bucketed, dynamic padding": (dataclasses.replace(base, bucket_by_length=True), None),
        "random batches, dynamic padding": (
            dataclasses.replace(base, bucket_by_length=False), None
        ),
        REFERENCE: (dataclasses.replace(base, bucket_by_length=False), 128),
    }


def report(seconds: dict[str, float], config: RunConfig, profile: str) -> str:
    """The section's body: epoch seconds per batching and the speed-up over ``REFERENCE``."""
    reference = seconds[REFERENCE]
    lines = [
        f'One training epoch (no evaluation) of Table 4\'s "{ROW}" in the {profile} profile'
        f" ({config.resolved().precision}, sentences truncated at 128 tokens), all three tasks,"
        f" on {cpu_model()} with {torch.get_num_threads()} threads, torch {torch.__version__}."
        f" Run one after another in one process; load average at the end {load_average()}.",
        "",
        "| batching | epoch seconds | speed-up vs pad-to-128 |",
        "| --- | ---: | ---: |",
        *[f"| {name} | {s:.1f} | {reference / s:.2f}x |" for name, s in seconds.items()],
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    seconds = {}
    runs = contenders(args.profile)
    for name, (config, pad_to) in runs.items():
        result = train(config, data_dir=args.data_dir, device="cpu", pad_to=pad_to)
        seconds[name] = result["timings"]["train_seconds"]
        steps = len(result["history"]["steps"])
        print(f"{name}: {seconds[name]:.1f} s for {steps} steps", flush=True)
    text = report(seconds, runs[REFERENCE][0], args.profile)
    write_section(args.out, SECTION, text)
    print(text)


if __name__ == "__main__":
    main()
