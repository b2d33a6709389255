"""Data-parallel training on one machine: 2 ranks x 1 thread (torchrun, gloo) against 1 process
x 2 threads, for one epoch of a quick-profile multitask run in fp32; and what DDP's
``find_unused_parameters`` costs (on a single-task run, where every parameter is used, so the
flag changes nothing but the bookkeeping). Arms alternate, each in a fresh process, for
``--rounds`` rounds; the section of ``benchmarks/RESULTS.md`` gives the median epoch seconds.

    python -m benchmarks.bench_ddp [--data-dir data] [--profile quick] [--rounds 2]
    python -m benchmarks.bench_ddp --worker OUT.json [--single-task] [--keep-unused-search]

On a GPU machine, ``--device cuda`` times 1 GPU launched plainly and under ``torchrun`` with one
rank (a world of one takes the plain code path, so the two must match).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.harness import cpu_model, load_average
from benchmarks.results_file import RESULTS, write_section

SECTION = "## Data-parallel training: 2 ranks x 1 thread vs 1 process x 2 threads"
ROW = "Shuffled batches + SST unreg'd"  # the Table 4 row whose epoch is timed


def worker(out: Path, *, data_dir: str, profile: str, device: str | None, single_task: bool,
           find_unused: bool) -> None:
    """One timed epoch, in this process (run alone or under torchrun)."""
    import torch.nn as nn

    import minbert_lab.training.trainee as trainee
    from minbert_lab.experiments.grids import table4
    from minbert_lab.training.loop import train

    if not find_unused:
        def wrap(model, world, device):
            if not world.distributed:
                return model
            return nn.parallel.DistributedDataParallel(model, find_unused_parameters=False)
        trainee.wrap = wrap
    config = next(row.config for row in table4(profile=profile) if row.label == ROW)
    changes = {"epochs": 1, "precision": "fp32"}
    if single_task:
        changes["tasks"] = {"sst": config.tasks["sst"]}
    result = train(dataclasses.replace(config, **changes), data_dir=data_dir, device=device,
                   progress=False)
    if int(os.environ.get("RANK", 0)) == 0:
        out.write_text(json.dumps({"train_seconds": result["timings"]["train_seconds"],
                                   "metrics": result["metrics"]}))


def _arm(name: str, ranks: int, threads: int, extra: list[str], args,
         torchrun: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1"}
        launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone",
                     f"--nproc_per_node={ranks}"] if torchrun else [sys.executable])
        command = [*launcher, "-m", "benchmarks.bench_ddp", "--worker", str(out),
                   "--data-dir", args.data_dir, "--profile", args.profile, *extra]
        if args.device:
            command += ["--device", args.device]
        subprocess.run(command, env=env, check=True)
        seconds = json.loads(out.read_text())["train_seconds"]
    print(f"{name}: {seconds:.1f} s", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--device")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--single-task", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-find-unused", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, data_dir=args.data_dir, profile=args.profile, device=args.device,
               single_task=args.single_task, find_unused=not args.no_find_unused)
        return
    arms = {  # name: (ranks, threads per rank, worker flags, under torchrun)
        "1 process x 2 threads": (1, 2, [], False),
        "2 ranks x 1 thread (DDP, gloo)": (2, 1, [], True),
        "SST only, 2 ranks, find_unused_parameters=True": (2, 1, ["--single-task"], True),
        "SST only, 2 ranks, find_unused_parameters=False": (
            2, 1, ["--single-task", "--no-find-unused"], True),
    }
    if args.device == "cuda":
        arms = {"1 GPU, plain": (1, 1, [], False),
                "1 GPU, torchrun with one rank": (1, 1, [], True)}
    seconds: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(args.rounds):
        for name, (ranks, threads, extra, torchrun) in arms.items():
            seconds[name].append(_arm(name, ranks, threads, extra, args, torchrun))
    write_section(args.out, SECTION, report(seconds, profile=args.profile, rounds=args.rounds,
                                            machine=cpu_model(), load=load_average()))


# arm -> the arm it is compared with (same work, one thing changed)
BASELINE = {
    "2 ranks x 1 thread (DDP, gloo)": "1 process x 2 threads",
    "SST only, 2 ranks, find_unused_parameters=True":
        "SST only, 2 ranks, find_unused_parameters=False",
    "1 GPU, torchrun with one rank": "1 GPU, plain",
}


def report(seconds: dict[str, list[float]], *, profile: str, rounds: int, machine: str,
           load: str) -> str:
    """The section: each arm's median epoch and its speed against the arm doing the same work
    with one thing changed (``BASELINE``); 1.00x is as fast, below 1 slower."""
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    rows = []
    for name, m in medians.items():
        base = BASELINE.get(name)
        speed = f"{medians[base] / m:.2f}x vs {base}" if base in medians else "(baseline)"
        rows.append(f"| {name} | {m:.1f} | {', '.join(f'{v:.1f}' for v in seconds[name])} |"
                    f" {speed} |")
    lines = [
        f'One training epoch (no evaluation) of Table 4\'s "{ROW}" in the {profile} '
        f"profile, fp32, on {machine}; {rounds} rounds, arms alternating, each in a"
        f" fresh process; load average at the end {load}. The SST-only arms train one task, so"
        " every parameter is used and find_unused_parameters changes only DDP's bookkeeping.",
        "",
        "| arm | epoch seconds (median) | rounds | speed |",
        "| --- | ---: | --- | --- |",
        *rows,
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
