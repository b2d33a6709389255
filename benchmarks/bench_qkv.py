"""Fused vs separate query/key/value projections in minBERT's self-attention, timed interleaved
in one process. Writes its section of ``benchmarks/RESULTS.md``. From the repository root:

    python -m benchmarks.bench_qkv                          # MiniLM's width, about a minute
    python -m benchmarks.bench_qkv --quick --out /tmp/r.md  # seconds-long sanity run

``BertSelfAttention.project`` runs three (H -> H) matmuls, as Hugging Face does. The alternative
(minBERT's projection until issue #12) is one (H -> 3H) matmul on the three weights concatenated
at every call: one larger matmul and one padding copy instead of three, at the price of copying
the (3H, H) weights each call and, in training, splitting the gradient back into three. Both run
on the same weights and batch: a training call is forward and backward with dropout on (the
explicit attention path, as CPU training takes), an evaluation call a forward under
``inference_mode`` (SDPA). Every round times each variant once, the order alternating, for a few
hundred ms in all; the table gives the median over rounds of the per-round ratio separate / fused
(above 1: fusing pays).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import math
import os
import shlex
import statistics
import sys

import torch
import torch.nn.functional as F

from benchmarks.contenders import MINILM_L6, TINY, Workload, make_batch
from benchmarks.harness import MAX_OTHER_LOAD, LoadLog, cpu_model, load_average, race, timed
from benchmarks.report import quantile
from benchmarks.results_file import RESULTS, write_section
from minbert_lab.encoder import BertConfig
from minbert_lab.encoder.bert import BertSelfAttention
from minbert_lab.encoder.padding import Padding

HEADING = "## Fused vs separate Q/K/V projections"
WORKLOADS = [Workload("train", 32, 64), Workload("eval", 64, 64)]
QUICK = [Workload("train", 4, 16), Workload("eval", 8, 16)]
ROUND_SECONDS = 0.3  # both variants together, per round


class FusedQKVSelfAttention(BertSelfAttention):
    """``BertSelfAttention`` projecting with one (H -> 3H) matmul; same parameters and keys."""

    def project(
        self, x: torch.Tensor, padding: Padding | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        weight = torch.cat([self.query.weight, self.key.weight, self.value.weight])  # (3H, H)
        bias = torch.cat([self.query.bias, self.key.bias, self.value.bias])  # (3H,)
        qkv = F.linear(x, weight, bias)  # (B, T, 3H) or (N, 3H)
        if padding is not None:
            qkv = padding.pad(qkv)  # (B, T, 3H)
        B, T, _ = qkv.shape
        nh = self.num_attention_heads
        return qkv.view(B, T, 3, nh, -1).permute(2, 0, 3, 1, 4).unbind(0)  # 3 x (B, nh, T, hs)


@dataclasses.dataclass
class QKVRow:
    work: Workload
    threads: int  # torch.get_num_threads() while it ran
    tokens: int  # real tokens in the batch
    calls: int  # calls of each variant per round
    times: dict[str, list[float]]  # "separate" / "fused" -> seconds per call, one per round

    @property
    def label(self) -> str:
        what = "training call (forward + backward)" if self.work.kind == "train" else "evaluation"
        return f"{what}, {self.work.batch} x {self.work.length}"

    def ratios(self) -> list[float]:
        """separate / fused, one per round, sorted."""
        pairs = zip(self.times["separate"], self.times["fused"], strict=True)
        return sorted(s / f for s, f in pairs)


def variants(config: BertConfig, device: torch.device) -> dict[str, BertSelfAttention]:
    """The two projections on the same weights, separate first."""
    separate = BertSelfAttention(config)
    fused = FusedQKVSelfAttention(config)
    fused.load_state_dict(separate.state_dict())
    return {"separate": separate.to(device), "fused": fused.to(device)}


def make_call(work: Workload, attention: BertSelfAttention, x: torch.Tensor, padding: Padding):
    """One training call (forward and backward, dropout on) or evaluation call (forward)."""
    if work.kind == "eval":
        attention.eval()

        def call() -> None:
            with torch.inference_mode():
                attention(x, padding, "sdpa")

        return call
    attention.train()
    x = x.detach().requires_grad_()
    grad = torch.randn_like(x)

    def call() -> None:
        # On a CPU with dropout on, "sdpa" takes the explicit path, as training does.
        attention(x, padding, "sdpa").backward(grad)
        attention.zero_grad(set_to_none=True)
        x.grad = None

    return call


def measure(
    work: Workload, config: BertConfig, rounds: int, log: LoadLog, device: torch.device
) -> QKVRow:
    torch.manual_seed(0)
    _, mask, _ = make_batch(work, config.vocab_size, device)
    padding = Padding.of(mask)
    x = torch.randn(int(mask.sum()), config.hidden_size, device=device)  # (N, H) real tokens
    one = {name: make_call(work, a, x, padding) for name, a in variants(config, device).items()}
    for fn in one.values():
        fn()  # warm-up
    per_call = min(timed(fn, device) for fn in one.values())
    calls = max(1, round(ROUND_SECONDS / 2 / per_call))

    def repeated(fn):
        return lambda: [fn() for _ in range(calls)]

    fns = {name: repeated(fn) for name, fn in one.items()}
    times = race(fns, warmup=1, repeats=rounds, device=device, log=log, retries=0)
    times = {name: [t / calls for t in ts] for name, ts in times.items()}
    return QKVRow(work, torch.get_num_threads(), len(x), calls, times)


def report(rows: list[QKVRow], config: BertConfig, log: LoadLog, loads: tuple[str, str],
           command: str, where: str) -> str:  # fmt: skip
    rounds = len(rows[0].times["fused"])
    lines = [
        f"{where}, torch {torch.__version__};"
        f" {datetime.date.today()}. Width H={config.hidden_size}, {config.num_attention_heads}"
        f" heads (one attention layer). `{command}`.",
        "",
        f"Load average (1, 5, 15 min) {loads[0]} at the start, {loads[1]} at the end. The machine"
        f" is shared: in {log.kept} of {rounds * len(rows)} rounds other processes used over"
        f" {MAX_OTHER_LOAD:.0%} of the CPUs. Rounds were not redone, so each ratio compares two"
        " variants that ran back to back under the same load.",
        "",
        "| workload | threads | real tokens | separate | fused | separate / fused, median"
        " | its 95% interval | p10-p90 | rounds x calls |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        r = row.ratios()
        low, high = median_interval(r)
        sep, fused = (statistics.median(row.times[k]) * 1e3 for k in ("separate", "fused"))
        lines.append(
            f"| {row.label} | {row.threads} | {row.tokens} | {sep:.2f} ms | {fused:.2f} ms |"
            f" **{statistics.median(r):.3f}** | {low:.3f}-{high:.3f} |"
            f" {quantile(r, 0.1):.3f}-{quantile(r, 0.9):.3f} |"
            f" {len(r)} x {row.calls} |"
        )
    return "\n".join(lines) + "\n"


def median_interval(sorted_values: list[float]) -> tuple[float, float]:
    """A distribution-free 95% confidence interval for the median: the values of (1-based) rank
    floor(n/2 - 0.98 sqrt(n)) and ceil(1 + n/2 + 0.98 sqrt(n)), the normal approximation to the
    binomial, clipped to the sample."""
    n = len(sorted_values)
    half = 1.96 * n**0.5 / 2
    low = max(0, math.floor(n / 2 - half) - 1)
    high = min(n - 1, math.ceil(1 + n / 2 + half) - 1)
    return sorted_values[low], sorted_values[high]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, help="timed rounds per workload (default 100)")
    parser.add_argument(
        "--threads", default=str(torch.get_num_threads()),
        help="comma-separated thread counts to measure at, in turn (default: torch's)",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="tiny width, 3 rounds (sanity)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--out", default=str(RESULTS), help="markdown file to write the section to")
    args = parser.parse_args(argv)
    config = BertConfig(**(TINY if args.quick else MINILM_L6))
    device = torch.device(args.device)
    if device.type == "cuda":
        where = torch.cuda.get_device_name(device)
    else:
        where = f"{cpu_model()}, {os.cpu_count()} logical CPUs"
    rounds = args.rounds or (3 if args.quick else 100)
    log, start_load = LoadLog(), load_average()
    rows, threads_before = [], torch.get_num_threads()
    try:
        for threads in (int(n) for n in args.threads.split(",")):
            torch.set_num_threads(threads)
            for work in QUICK if args.quick else WORKLOADS:
                rows.append(measure(work, config, rounds, log, device))
                ratio = statistics.median(rows[-1].ratios())
                print(f"{rows[-1].label}, {threads} threads: separate / fused {ratio:.3f}",
                      flush=True)
    finally:  # a caller in the same process (a test) keeps its own thread count
        torch.set_num_threads(threads_before)
    command = shlex.join(["python", "-m", "benchmarks.bench_qkv",
                          *(sys.argv[1:] if argv is None else argv)])  # fmt: skip
    text = report(rows, config, log, (start_load, load_average()), command, where)
    write_section(args.out, HEADING + (" (quick sanity run)" if args.quick else ""), text)
    print(text)


if __name__ == "__main__":
    main()
