"""minBERT vs ``transformers.BertModel``: a training step and an evaluation forward, timed
interleaved in one process on the same weights and batches. Writes its section of
``benchmarks/RESULTS.md`` (other sections are kept). From the repository root:

    python -m benchmarks.bench_training                          # CPU section of RESULTS.md
    python -m benchmarks.bench_training --quick --out /tmp/r.md  # seconds-long sanity run
    python -m benchmarks.bench_training --device cuda --bf16 --out RESULTS-gpu.md

The reference is ``transformers.BertModel`` with SDPA attention and the default
``torch.optim.AdamW`` (foreach). Against it: ``MinBert`` with fused AdamW (and
``torch.inference_mode`` for evaluation) in the same precision; and, in an fp32 run on hardware
with fast bf16, ``MinBert`` under bf16 autocast too, which changes the numerics and so is shown
apart. All get the same [CLS] -> Linear -> cross-entropy head on random labels, train with the
checkpoint's dropout, and take turns within every round (the order rotating), so load from other
work on the machine falls on all of them. MFU is useful model FLOPs (forward
``2 * matmul params * real tokens + 4 * sum(length^2) * H * layers``, training 3x that) per second
over the fastest square matmul measured in this process, in the contender's precision; work on
padding does not count.

The parts: ``contenders`` (workloads, contenders, the timed steps), ``harness`` (rounds, load
checks, matmul peak), ``profiling`` (where the time goes) and ``report`` (the section).
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile

import torch

from benchmarks.contenders import (
    DTYPES,
    FULL,
    MINILM_L6,
    QUICK,
    TINY,
    Contender,
    Workload,
    eval_forward,
    forward_flops,
    has_fast_bf16,
    make_batch,
    make_contenders,
    random_checkpoint,
    step_for,
)
from benchmarks.harness import LoadLog, describe_machine, load_average, measure_peak, race
from benchmarks.profiling import profile_step
from benchmarks.report import Row, TrainingBench, report, section_heading
from benchmarks.results_file import RESULTS, write_section
from minbert_lab.checkpoints import DEFAULT_CHECKPOINT, resolve_checkpoint

PROFILED_STEPS = 5


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # One thread in --quick: with another process on a 2-core machine, two OpenMP threads wait
    # out each other's time slices at every op, and a tiny model's step takes a second.
    threads = args.threads or (1 if args.quick else None)
    if threads:
        torch.set_num_threads(threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    machine = describe_machine(device)
    print(machine, flush=True)
    precision = "bf16" if args.bf16 else "fp32"
    with tempfile.TemporaryDirectory() as tmp:
        if args.quick:
            folder = random_checkpoint(tmp, TINY)
        elif args.weights == "random":
            folder = random_checkpoint(tmp, MINILM_L6)
        else:
            folder = resolve_checkpoint(DEFAULT_CHECKPOINT)
        contenders = make_contenders(
            folder, device, precision=precision, compile_ours=args.compile,
            add_bf16=not args.bf16 and has_fast_bf16(device),
        )  # fmt: skip
    text = report(run(args, device, contenders, machine))
    title = args.section or ("GPU" if device.type == "cuda" else "CPU")
    write_section(args.out, section_heading(title, quick=args.quick), text)
    print(text)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--repeats", type=int, help="timed rounds per workload (default 20)")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast for every contender")
    parser.add_argument(
        "--quick", action="store_true", help="a tiny random BERT, tiny batches, 2 rounds (sanity)"
    )
    parser.add_argument("--out", default=str(RESULTS), help="markdown file to write the section to")
    parser.add_argument("--section", help="section title after the heading (default: the device)")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads before anything runs")
    parser.add_argument("--compile", action="store_true", help="torch.compile minBERT's forward")
    parser.add_argument("--no-profile", action="store_true", help="skip the CPU op breakdown")
    parser.add_argument(
        "--weights", choices=["checkpoint", "random"], default="checkpoint",
        help="all-MiniLM-L6-v2, or random weights of its shape where the package is missing",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    return args


def run(
    args: argparse.Namespace, device: torch.device, contenders: list[Contender], machine: str
) -> TrainingBench:
    """Races the contenders on every workload, profiles the padded ones on a CPU, measures the
    matmul peaks and (a full CPU run) the evaluation batch sweep."""
    workloads = QUICK if args.quick else FULL
    repeats = args.repeats or (2 if args.quick else 20)
    warmup = 1 if args.quick else 3
    # Rounds to redo when other processes are busy: a CPU run's concern, and too slow for --quick.
    retries = 0 if args.quick or device.type == "cuda" else 4
    profiled_calls = 1 if args.quick else PROFILED_STEPS
    log = LoadLog()
    reference, config = contenders[0], contenders[1].model.config
    peaks = {p: 0.0 for p in dict.fromkeys(c.precision for c in contenders)}
    for p in peaks:
        peaks[p] = measure_peak(device, DTYPES[p], quick=args.quick)
        print(f"{p} matmul peak {peaks[p] / 1e9:,.0f} GFLOP/s", flush=True)

    rows, profiles = [], {}
    for work in workloads:
        batch = make_batch(work, config.vocab_size, device)
        fns = {c.name: step_for(work, c, batch) for c in contenders}
        lengths = batch[1].sum(1).tolist()
        flops = (3 if work.kind == "train" else 1) * forward_flops(config, lengths)
        padding = 1 - sum(lengths) / (work.batch * work.length)
        times = race(fns, warmup=warmup, repeats=repeats, device=device, log=log, retries=retries)
        rows.append(Row(work, padding, times, flops))
        a = statistics.median(times[reference.name])
        print(work.label + ": " + ", ".join(
            f"{name} {statistics.median(t) * 1e3:.1f} ms ({a / statistics.median(t):.2f}x)"
            for name, t in times.items()), flush=True)  # fmt: skip
        if work.padded and device.type == "cpu" and not args.no_profile:
            profiles[work] = {name: profile_step(fn, profiled_calls) for name, fn in fns.items()}
    for p in peaks:  # again, in case other work slowed the first measurement down
        peaks[p] = max(peaks[p], measure_peak(device, DTYPES[p], quick=args.quick))
    sweep = []
    if device.type == "cpu" and not args.quick:
        sweep = eval_batch_sweep(contenders[1], config.vocab_size, retries, log)

    command = shlex.join(["python", "-m", "benchmarks.bench_training", *args.argv])
    return TrainingBench(
        machine=machine, weights=weights_description(args), command=command,
        contenders=contenders, peaks=peaks, rows=rows, load=log, retries=retries,
        load_average=load_average(), compiled=args.compile, profiles=profiles,
        profiled_calls=profiled_calls, sweep=sweep,
    )  # fmt: skip


def weights_description(args: argparse.Namespace) -> str:
    if args.quick:
        return "a tiny random BERT (a sanity run: these timings mean nothing)"
    if args.weights == "random":
        return "random weights of all-MiniLM-L6-v2's shape"
    return "all-MiniLM-L6-v2 weights"


def eval_batch_sweep(
    c: Contender, vocab_size: int, retries: int, log: LoadLog, length: int = 64
) -> list[tuple[int, float]]:
    """Evaluation throughput by batch size: does a larger eval batch pay?"""
    rows = []
    for batch_size in (32, 64, 128, 256):
        batch = make_batch(Workload("eval", batch_size, length), vocab_size, c.device)
        fns = {c.name: lambda b=batch: eval_forward(c, b)}
        times = race(fns, warmup=1, repeats=5, device=c.device, log=log, retries=retries)
        rows.append((batch_size, statistics.median(times[c.name])))
    return rows


if __name__ == "__main__":
    main()
