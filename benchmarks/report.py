"""The Markdown section ``bench_training`` writes: timings and speed-ups, issue #5's targets, the
profile by category and the evaluation batch sweep, from one ``TrainingBench`` record."""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass, field

from benchmarks.contenders import Contender, Workload
from benchmarks.harness import MAX_OTHER_LOAD, LoadLog
from benchmarks.profiling import COLUMNS

HEADING = "## Training step and evaluation forward vs transformers"
TARGETS = {"train": 1.5, "eval": 1.3}  # issue #5: speed-up over transformers, same precision


@dataclass
class Row:
    """One workload's measurements."""

    work: Workload
    padding: float  # share of the batch's (B, T) positions that are padding
    times: dict[str, list[float]]  # contender name -> seconds, one per round
    flops: float  # useful FLOPs of one call (see contenders.forward_flops)


@dataclass
class TrainingBench:
    """Everything one run of ``bench_training`` measured, and how."""

    machine: str  # harness.describe_machine
    weights: str  # what the encoders were loaded with, in words
    command: str  # how to run it again
    contenders: list[Contender]  # the reference first, then minBERT in the same precision
    peaks: dict[str, float]  # precision -> matmul FLOP/s measured here
    rows: list[Row]
    load: LoadLog
    retries: int  # how often a loaded round was run again before it was kept
    load_average: str  # harness.load_average at the end
    compiled: bool = False  # minBERT ran under torch.compile
    profiles: dict[Workload, dict[str, dict[str, float]]] = field(default_factory=dict)
    profiled_calls: int = 0  # profiled calls per workload and contender
    sweep: list[tuple[int, float]] = field(default_factory=list)  # (eval batch, seconds)


def section_heading(title: str, *, quick: bool) -> str:
    return f"{HEADING}: {title}" + (" (quick sanity run)" if quick else "")


def report(bench: TrainingBench) -> str:
    """The section's Markdown body."""
    lines = [*_header_lines(bench), "", *_timing_lines(bench), "", *_target_lines(bench)]
    if bench.profiles:
        lines += ["", *_profile_lines(bench)]
    if bench.sweep:
        lines += ["", *_sweep_lines(bench)]
    return "\n".join(lines) + "\n"


def _header_lines(bench: TrainingBench) -> list[str]:
    reference = bench.contenders[0]
    peak_text = ", ".join(f"{p} {flops / 1e9:,.0f} GFLOP/s" for p, flops in bench.peaks.items())
    n_rounds = len(bench.rows[0].times[reference.name])
    return [
        f"{bench.machine}. {bench.weights}; {datetime.date.today()}; load average at the end"
        f" {bench.load_average}.",
        "",
        f"`{bench.command}`. The reference is `transformers.BertModel` (SDPA) with the default"
        " `torch.optim.AdamW` (foreach); minBERT runs fused AdamW"
        f"{' and torch.compile' if bench.compiled else ''}, and evaluates under"
        " `inference_mode`. Same weights, head and batches (lengths uniform in [T/2, T]); the"
        f" contenders take turns in every round, the order rotating; medians of {n_rounds}"
        f" rounds after the warm-up. Matmul peak measured here: {peak_text}. Rounds run again"
        f" because other processes used over {MAX_OTHER_LOAD:.0%} of the CPUs:"
        f" {bench.load.redone}; kept although they did, after {bench.retries} retries:"
        f" {bench.load.kept}.",
    ]


def _timing_lines(bench: TrainingBench) -> list[str]:
    reference, ours = bench.contenders[0], bench.contenders[1]
    lines = [
        "| workload | contender | precision | median | speed-up | per-round speed-up, p10-p90"
        " | MFU |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in bench.rows:
        a = statistics.median(row.times[reference.name])
        for c in bench.contenders:
            t = statistics.median(row.times[c.name])
            mfu = row.flops / t / bench.peaks[c.precision]
            if c is reference:
                label = row.work.label + (f", {row.padding:.0%} padding" if row.padding else "")
                cells = f"{c.precision_label} | {t * 1e3:.1f} ms | 1 | | {mfu:.0%}"
                lines.append(f"| {label} | {c.name} | {cells} |")
                continue
            ratios = sorted(
                x / y for x, y in zip(row.times[reference.name], row.times[c.name], strict=True)
            )
            speedup = f"**{a / t:.2f}x**" if c is ours else f"{a / t:.2f}x"
            lines.append(
                f"| | {c.name} | {c.precision_label} | {t * 1e3:.1f} ms | {speedup} |"
                f" {quantile(ratios, 0.1):.2f}-{quantile(ratios, 0.9):.2f} | {mfu:.0%} |"
            )
    return lines


def _target_lines(bench: TrainingBench) -> list[str]:
    """Each workload against issue #5's target, and the bound its FLOPs put on any speed-up:
    a step doing nothing but its model FLOPs at the measured peak."""
    reference, ours = bench.contenders[0], bench.contenders[1]
    peak = bench.peaks[reference.precision]
    out = [
        f"Issue #5's targets, {ours.name} vs {reference.name} in the same precision"
        f" ({reference.precision_label}). The bound is the speed-up of a step made of nothing but"
        " its useful FLOPs at the measured peak:",
        "",
    ]
    for row in bench.rows:
        a, b = statistics.median(row.times[reference.name]), statistics.median(row.times[ours.name])
        target = TARGETS[row.work.kind]
        verdict = "met" if a / b >= target else "not met"
        bound = a / (row.flops / peak)
        out.append(
            f"- {row.work.label}: {a / b:.3f}x for a target of {target}x, {verdict};"
            f" bound {bound:.2f}x ({row.flops / peak * 1e3:.0f} ms of matmuls)."
        )
    return out


def _profile_lines(bench: TrainingBench) -> list[str]:
    out = [
        "### Where the time goes",
        "",
        "Self CPU time per call from `torch.profiler`, by category: the median of"
        f" {bench.profiled_calls} profiled calls (the profiler adds a little to every op). matmuls"
        " are the linear layers' and attention's batched ones; other is copies, casts, adds,"
        " masks, gradient buffers and minBERT's packing.",
        "",
        "| workload | contender | " + " | ".join(COLUMNS) + " | total |",
        "| --- | --- |" + " ---: |" * (len(COLUMNS) + 1),
    ]
    for work, by_contender in bench.profiles.items():
        for i, c in enumerate(bench.contenders):
            seconds = by_contender[c.name]
            cells = [f"{seconds[k] * 1e3:.0f} ms" for k in COLUMNS]
            label = work.label if i == 0 else ""
            total = f"{sum(seconds.values()) * 1e3:.0f} ms"
            out.append(f"| {label} | {c.name} | " + " | ".join(cells) + f" | {total} |")
    return out


def _sweep_lines(bench: TrainingBench) -> list[str]:
    ours = bench.contenders[1]
    return [
        f"### Evaluation batch size: {ours.name}, {ours.precision_label}, 64 tokens",
        "",
        "| eval batch | ms per batch | sentences/s |",
        "| ---: | ---: | ---: |",
        *[f"| {b} | {s * 1e3:.0f} | {b / s:,.0f} |" for b, s in bench.sweep],
    ]


def quantile(sorted_values: list[float], q: float) -> float:
    """The ``q`` quantile of sorted values, by nearest rank."""
    return sorted_values[min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))]
