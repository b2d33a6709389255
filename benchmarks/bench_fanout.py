"""Table 4, one config after another in one process against fanned out over local submitit
workers: the wall clock of the whole grid, each arm from an empty run cache. Writes its section
of ``benchmarks/RESULTS.md``. From the repository root, on an otherwise idle machine:

    python -m benchmarks.bench_fanout --profile quick [--data-dir data] [--workers 2] [--threads 1]

Both arms use the same cores: the serial one runs on ``workers x threads`` torch threads, the
fanned-out one on ``workers`` processes of ``threads`` each. fp32, because bf16 autocast is
emulated (and slower) on a CPU without native bf16.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.harness import cpu_model, load_average
from benchmarks.results_file import RESULTS, write_section
from minbert_lab.config import RunConfig
from minbert_lab.experiments.fanout import make_executor
from minbert_lab.experiments.grids import grid_configs
from minbert_lab.experiments.seeds import run_seeds

SECTION = "## Fan-out: Table 4 serial vs local submitit workers"
SERIAL = "serial"


@dataclasses.dataclass
class Arm:
    """One way of running the grid, and what it took."""

    name: str
    wall_seconds: float
    train_seconds: float  # summed over the runs
    scores: dict[str, float]
    load: str  # load average before -> after


def table4_fp32(profile: str) -> dict[str, RunConfig]:
    """Table 4's rows (seed 0) in fp32."""
    return {label: dataclasses.replace(config, precision="fp32")
            for label, config in grid_configs("4", profile=profile).items()}


def run_arm(name: str, configs: dict[str, RunConfig], *, data_dir: str, runs_dir: Path,
            executor=None) -> Arm:
    """Runs the whole grid into the empty ``runs_dir`` and times it, result reads included."""
    before = load_average()
    start = time.perf_counter()
    results = run_seeds(configs, [0], data_dir=data_dir, runs_dir=runs_dir, progress=False,
                        executor=executor)
    wall = time.perf_counter() - start
    if any(runs[0]["cached"] for runs in results.values()):
        raise RuntimeError(f"{runs_dir} was not empty: a cached run would flatter the {name} arm")
    return Arm(name, wall,
               sum(runs[0]["timings"]["train_seconds"] for runs in results.values()),
               {label: runs[0]["metrics"]["score"] for label, runs in results.items()},
               f"{before} -> {load_average()}")


def report(arms: list[Arm], *, profile: str, workers: int, threads: int) -> str:
    """The section's body: wall clock per arm and the fan-out's speed-up over serial."""
    serial = next(arm for arm in arms if arm.name == SERIAL)
    drift = max(abs(arm.scores[label] - serial.scores[label])
                for arm in arms for label in serial.scores)
    lines = [
        f"Table 4 ({len(serial.scores)} runs, seed 0) in the {profile} profile, fp32, each arm "
        f"from an empty run cache, on {cpu_model()} ({os.cpu_count()} logical CPUs), torch "
        f"{torch.__version__}. Serial: one process on {workers * threads} torch threads; "
        f"fan-out: {workers} local submitit jobs at a time, {threads} thread(s) each. Wall "
        "clock of the whole grid: job start-up, model loading and reading the results back "
        "from the cache included.",
        "",
        "| arm | wall seconds | training seconds (sum) | speed-up vs serial "
        "| load average before -> after |",
        "| --- | ---: | ---: | ---: | --- |",
        *[f"| {arm.name} | {arm.wall_seconds:.1f} | {arm.train_seconds:.1f} | "
          f"{serial.wall_seconds / arm.wall_seconds:.2f}x | {arm.load} |" for arm in arms],
        "",
        f"Largest difference in a row's composite score between the arms: {drift:.4f} (the thread "
        "counts differ, so floating-point sums may too).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    configs = table4_fp32(args.profile)
    data_dir = str(Path(args.data_dir).resolve())
    with tempfile.TemporaryDirectory(prefix="bench_fanout_") as work:
        work = Path(work)
        torch.set_num_threads(args.workers * args.threads)
        serial = run_arm(SERIAL, configs, data_dir=data_dir, runs_dir=work / "serial")
        print(f"serial: {serial.wall_seconds:.1f} s", flush=True)
        executor = make_executor("local", work / "submitit", workers=args.workers,
                                 cpus_per_job=args.threads, gpus_per_job=0)
        name = f"fan-out, {args.workers} workers x {args.threads} thread(s)"
        fanned = run_arm(name, configs, data_dir=data_dir, runs_dir=work / "fanned",
                         executor=executor)
        print(f"{name}: {fanned.wall_seconds:.1f} s", flush=True)
    text = report([serial, fanned], profile=args.profile, workers=args.workers,
                  threads=args.threads)
    write_section(args.out, SECTION, text)
    print(text)


if __name__ == "__main__":
    main()
