"""minBERT vs ``transformers.BertModel``: a training step and an evaluation forward, timed
interleaved in one process on the same weights and batches. Writes its section of
``benchmarks/RESULTS.md`` (other sections are kept).

    python benchmarks/bench_training.py                       # CPU section of RESULTS.md
    python benchmarks/bench_training.py --quick --out /tmp/r.md   # seconds-long sanity run
    python benchmarks/bench_training.py --device cuda --bf16 --out RESULTS-gpu.md

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
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

# Run as a script from a bare copy of the repository (the GPU machine has no install of it).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import transformers  # noqa: E402

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT, resolve_checkpoint  # noqa: E402
from minbert_lab.model import MinBert  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADING = "## Training step and evaluation forward vs transformers"
# all-MiniLM-L6-v2's shape, for --weights random where the checkpoint package is not installed.
MINILM_L6 = dict(
    vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
    intermediate_size=1536, hidden_act="gelu", max_position_embeddings=512,
)  # fmt: skip
# --quick checks that the script runs and writes its section, in seconds; its timings mean nothing.
TINY = dict(
    vocab_size=2000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
    intermediate_size=128, max_position_embeddings=64,
)  # fmt: skip
N_LABELS = 5
PROFILED_STEPS = 5
TARGETS = {"train": 1.5, "eval": 1.3}  # issue #5: speed-up over transformers, same precision


@dataclass(frozen=True)
class Workload:
    kind: str  # "train" or "eval"
    batch: int
    length: int
    padded: bool = True  # lengths uniform in [T/2, T], else every row T tokens long

    @property
    def label(self) -> str:
        what = "train step" if self.kind == "train" else "eval forward"
        return f"{what}, {self.batch} x {self.length}" + ("" if self.padded else ", no padding")


FULL = [
    Workload("train", 32, 32),
    Workload("train", 32, 64),
    Workload("eval", 64, 64),
    # minBERT skips padded positions in all but attention; this row shows the rest alone.
    Workload("train", 32, 64, padded=False),
]
QUICK = [Workload("train", 4, 8), Workload("train", 4, 16), Workload("eval", 8, 16)]


@dataclass
class Contender:
    name: str
    dtype: torch.dtype  # what the matmuls run in: float32, or bfloat16 under autocast
    device: torch.device
    model: torch.nn.Module
    head: torch.nn.Linear
    optimizer: torch.optim.Optimizer
    encode: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (ids, mask) -> (B, T, H)
    no_grad: Callable[[], contextlib.AbstractContextManager]

    @property
    def precision(self) -> str:
        return "bf16 autocast" if self.dtype == torch.bfloat16 else "fp32"

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # One thread in --quick: with another process on a 2-core machine, two OpenMP threads wait
    # out each other's time slices at every op, and a tiny model's step takes a second.
    threads = args.threads or (1 if args.quick else None)
    if threads:
        torch.set_num_threads(threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    workloads = QUICK if args.quick else FULL
    repeats = args.repeats or (2 if args.quick else 20)
    warmup = 1 if args.quick else 3
    # Rounds to redo when other processes are busy: a CPU run's concern, and too slow for --quick.
    retries = 0 if args.quick or device.type == "cuda" else 4

    machine = describe_machine(device)
    print(machine, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.quick:
            folder = random_checkpoint(tmp, TINY)
        elif args.weights == "random":
            folder = random_checkpoint(tmp, MINILM_L6)
        else:
            folder = resolve_checkpoint(DEFAULT_CHECKPOINT)
        dtype = torch.bfloat16 if args.bf16 else torch.float32
        contenders = make_contenders(
            folder, device, dtype=dtype, add_bf16=not args.bf16 and fast_bf16(device),
            compile_ours=args.compile,
        )  # fmt: skip
    reference = contenders[0]
    config = contenders[1].model.config
    peaks = {c.dtype: 0.0 for c in contenders}
    for d in peaks:
        peaks[d] = measure_peak(device, d, quick=args.quick)
        print(f"{_precision(d)} matmul peak {peaks[d] / 1e9:,.0f} GFLOP/s", flush=True)

    rows, profiles = [], {}
    for work in workloads:
        batch = make_batch(work, config.vocab_size, device)
        step = train_step if work.kind == "train" else eval_forward
        fns = {c.name: _bind(step, c, batch) for c in contenders}
        lengths = batch[1].sum(1).tolist()
        flops = (3 if work.kind == "train" else 1) * forward_flops(config, lengths)
        padding = 1 - sum(lengths) / (work.batch * work.length)
        times = race(fns, warmup=warmup, repeats=repeats, device=device, retries=retries)
        rows.append((work, padding, times, flops))
        a = statistics.median(times[reference.name])
        print(work.label + ": " + ", ".join(
            f"{name} {statistics.median(t) * 1e3:.1f} ms ({a / statistics.median(t):.2f}x)"
            for name, t in times.items()), flush=True)  # fmt: skip
        if work.padded and device.type == "cpu" and not args.no_profile:
            steps = _profiled_calls(args)
            profiles[work] = {name: profile_step(fn, steps) for name, fn in fns.items()}
    for d in peaks:  # again, in case other work slowed the first measurement down
        peaks[d] = max(peaks[d], measure_peak(device, d, quick=args.quick))
    sweep = []
    if device.type == "cpu" and not args.quick:
        sweep = eval_batch_sweep(contenders[1], config.vocab_size, retries)

    command = shlex.join(["python", "benchmarks/bench_training.py", *(argv or sys.argv[1:])])
    text = report(args, machine, peaks, contenders, rows, profiles, sweep, command, retries)
    out = Path(args.out)
    previous = out.read_text() if out.exists() else "# Benchmark results\n\n"
    out.write_text(replace_section(previous, section_heading(args, device), text))
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
    return parser.parse_args(argv)


# --- the contenders ------------------------------------------------------------------------


def random_checkpoint(folder: str, shape: dict) -> Path:
    """A BertModel of the given shape with random weights, saved so every contender loads it."""
    transformers.BertModel(transformers.BertConfig(**shape)).save_pretrained(folder)
    return Path(folder)


def fast_bf16(device: torch.device) -> bool:
    """Whether bf16 matmuls have hardware support here (AVX512-BF16 or AMX on a CPU)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def make_contenders(
    folder: Path, device: torch.device, *, dtype: torch.dtype, add_bf16: bool, compile_ours: bool
) -> list[Contender]:
    """transformers + default AdamW first (the reference), then minBERT + fused AdamW in the same
    precision, then (``add_bf16``) minBERT under bf16 autocast. One shared head init."""
    hidden = transformers.BertConfig.from_pretrained(folder).hidden_size
    head_init = torch.nn.Linear(hidden, N_LABELS).state_dict()
    entries = [("transformers + AdamW", dtype), ("minBERT + fused AdamW", dtype)]
    if add_bf16:
        entries.append(("minBERT + fused AdamW, bf16 autocast", torch.bfloat16))
    contenders = []
    for name, contender_dtype in entries:
        head = torch.nn.Linear(hidden, N_LABELS)
        head.load_state_dict(head_init)
        if name.startswith("transformers"):
            model = transformers.BertModel.from_pretrained(folder, attn_implementation="sdpa")
            encode, no_grad = _hf_encode(model), torch.no_grad
        else:
            model = MinBert.from_pretrained(folder)
            encode = torch.compile(model) if compile_ours else model
            no_grad = torch.inference_mode
        model.to(device).train()
        head.to(device)
        params = [*model.parameters(), *head.parameters()]
        if name.startswith("transformers"):
            optimizer = torch.optim.AdamW(params, lr=2e-5)  # the default implementation: foreach
        else:
            optimizer = torch.optim.AdamW(params, lr=2e-5, fused=True)
        contenders.append(
            Contender(name, contender_dtype, device, model, head, optimizer, encode, no_grad)
        )
    return contenders


def _hf_encode(model: transformers.BertModel):
    def encode(ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return model(input_ids=ids, attention_mask=mask).last_hidden_state

    return encode


def make_batch(work: Workload, vocab_size: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Word-piece ids with [CLS] and [SEP]; lengths uniform in [T/2, T] with one row of T, padded
    (a quarter of the positions are padding), or all T."""
    g = torch.Generator().manual_seed(work.batch * 1000 + work.length)
    B, T = work.batch, work.length
    lengths = (
        torch.randint(T // 2, T + 1, (B,), generator=g) if work.padded else torch.full((B,), T)
    )
    lengths[0] = T
    positions = torch.arange(T)
    mask = (positions < lengths[:, None]).long()  # (B, T)
    ids = torch.randint(1000, vocab_size, (B, T), generator=g)  # past [unused*] and punctuation
    ids[:, 0] = 101  # [CLS]
    ids[positions == lengths[:, None] - 1] = 102  # [SEP]
    ids = ids * mask  # [PAD] = 0
    labels = torch.randint(0, N_LABELS, (B,), generator=g)
    return ids.to(device), mask.to(device), labels.to(device)


def train_step(c: Contender, batch: tuple[torch.Tensor, ...]) -> None:
    ids, mask, labels = batch
    with c.autocast():
        logits = c.head(c.encode(ids, mask)[:, 0])
    F.cross_entropy(logits.float(), labels).backward()
    c.optimizer.step()
    c.optimizer.zero_grad(set_to_none=True)


def eval_forward(c: Contender, batch: tuple[torch.Tensor, ...]) -> None:
    ids, mask, _ = batch
    c.model.eval()
    with c.no_grad(), c.autocast():
        c.head(c.encode(ids, mask)[:, 0])
    c.model.train()


def _bind(step, contender: Contender, batch) -> Callable[[], None]:
    return lambda: step(contender, batch)


# --- timing ----------------------------------------------------------------------------------


def race(
    fns: dict[str, Callable[[], None]],
    *,
    warmup: int,
    repeats: int,
    device: torch.device,
    retries: int = 4,
) -> dict[str, list[float]]:
    """Seconds per call of each function, in turns; who goes first rotates every round.

    A round during which other processes kept the CPUs busy (``OtherLoad``) is run again, up to
    ``retries`` times with a pause before each, then kept: on a shared 2-core machine one busy
    neighbour slows every OpenMP op of ours severalfold, and that says nothing about the code.
    """
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        k = r % len(names)
        for attempt in range(retries + 1):
            load = OtherLoad()
            sample = {}
            for name in names[k:] + names[:k]:
                _sync(device)
                start = time.perf_counter()
                fns[name]()
                _sync(device)
                sample[name] = time.perf_counter() - start
            if load.fraction() <= MAX_OTHER_LOAD:
                break
            LOAD_LOG["redone" if attempt < retries else "kept"] += 1
            if attempt < retries:
                time.sleep(PAUSE)
        for name, seconds in sample.items():
            times[name].append(seconds)
    return times


MAX_OTHER_LOAD = 0.1  # of all CPUs, used by other processes during a round
PAUSE = 5.0  # seconds before a round is run again
LOAD_LOG = {"redone": 0, "kept": 0}  # rounds redone for load, and kept loaded after the retries


class OtherLoad:
    """The share of all CPUs that other processes (and the hypervisor) used since construction:
    busy time from ``/proc/stat`` minus this process's own CPU time. 0 where there is no
    ``/proc/stat``. OpenMP threads spinning at a barrier count as this process's time."""

    def __init__(self):
        self.busy, self.own, self.wall = self._busy(), time.process_time(), time.perf_counter()

    def fraction(self) -> float:
        if self.busy is None:
            return 0.0
        wall = time.perf_counter() - self.wall
        others = self._busy() - self.busy - (time.process_time() - self.own)
        return max(0.0, others) / (wall * (os.cpu_count() or 1))

    @staticmethod
    def _busy() -> float | None:
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        except OSError:
            return None
        # user nice system idle iowait irq softirq steal ...: all but idle and iowait are busy.
        ticks = sum(int(x) for i, x in enumerate(fields[:8]) if i not in (3, 4))
        return ticks / os.sysconf("SC_CLK_TCK")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_peak(device: torch.device, dtype: torch.dtype, *, quick: bool) -> float:
    """FLOP/s of the fastest square matmul among a few sizes, from samples taken while other
    processes left the CPUs alone (any sample, if none was)."""
    sizes = [256, 512] if quick else ([1024, 2048, 4096] if device.type == "cpu" else [8192])
    quiet, loaded = 0.0, 0.0
    for n in sizes:
        a = torch.randn(n, n, device=device, dtype=dtype)
        b = torch.randn(n, n, device=device, dtype=dtype)
        a @ b  # warm-up
        for _ in range(3):
            load = OtherLoad()
            _sync(device)
            start = time.perf_counter()
            a @ b
            _sync(device)
            flops = 2 * n**3 / (time.perf_counter() - start)
            if device.type == "cuda" or load.fraction() <= MAX_OTHER_LOAD:
                quiet = max(quiet, flops)
            loaded = max(loaded, flops)
    return quiet or loaded


def forward_flops(config, lengths: list[int]) -> float:
    """The useful encoder forward FLOPs of a batch of these lengths: the matmul weights (Q, K, V,
    O, FFN) on its real tokens and attention's two batched matmuls among them. Work on padding,
    embeddings, norms and the head are left out."""
    H, L, D_ff = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    matmul_params = L * (4 * H * H + 2 * H * D_ff)
    return 2 * matmul_params * sum(lengths) + 4 * sum(n * n for n in lengths) * H * L


# --- where the time goes (CPU) ---------------------------------------------------------------

CATEGORIES = {  # by op name; "matmuls" are the linear layers' and attention's batched ones
    "matmuls": ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"),
    "fused attention": ("aten::_scaled_dot_product",),
    "dropout masks": ("aten::bernoulli_", "aten::random_", "aten::uniform_"),
    "GELU, LayerNorm, softmax": ("aten::gelu", "aten::native_layer_norm", "aten::_softmax",
                                 "aten::_log_softmax"),
}  # fmt: skip
OPTIMIZER = "optimizer"  # everything under Optimizer.step, whatever the op
OTHER = "other"  # copies, casts, adds, masks, gradient buffers, packing


def profile_step(step: Callable[[], None], steps: int) -> dict[str, float]:
    """Self CPU seconds per category for one call of ``step``: the median over ``steps`` calls.

    Medians per category rather than of the total: a burst of load from other work then spoils
    one step's numbers, not the table.
    """
    from torch.profiler import ProfilerActivity, profile

    per_step = []
    for _ in range(steps):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            step()
        totals: dict[str, float] = {}
        for event in prof.events():
            key = _category(event)
            totals[key] = totals.get(key, 0.0) + event.self_cpu_time_total / 1e6
        per_step.append(totals)
    return {
        k: statistics.median(t.get(k, 0.0) for t in per_step)
        for k in [*CATEGORIES, OPTIMIZER, OTHER]
    }


def _category(event) -> str:
    parent = event
    while parent is not None:  # everything the optimizer runs, whatever the op
        if parent.name.startswith("Optimizer.step"):
            return OPTIMIZER
        parent = parent.cpu_parent
    for category, prefixes in CATEGORIES.items():
        if event.name.startswith(prefixes):
            return category
    return OTHER


def eval_batch_sweep(
    c: Contender, vocab_size: int, retries: int, length: int = 64
) -> list[tuple[int, float]]:
    """Evaluation throughput by batch size: does a larger eval batch pay?"""
    rows = []
    for batch_size in (32, 64, 128, 256):
        batch = make_batch(Workload("eval", batch_size, length), vocab_size, c.device)
        fns = {c.name: _bind(eval_forward, c, batch)}
        times = race(fns, warmup=1, repeats=5, device=c.device, retries=retries)[c.name]
        rows.append((batch_size, statistics.median(times)))
    return rows


# --- the report ------------------------------------------------------------------------------


def describe_machine(device: torch.device) -> str:
    if device.type == "cuda":
        where = f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    else:
        where = f"{_cpu_model()}, {os.cpu_count()} logical CPUs"
    threads = f"{torch.get_num_threads()} intra-op / {torch.get_num_interop_threads()} inter-op"
    return (f"{where}; torch {torch.__version__} ({threads} threads), transformers "
            f"{transformers.__version__}, Python {platform.python_version()}")  # fmt: skip


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def section_heading(args: argparse.Namespace, device: torch.device) -> str:
    title = args.section or ("GPU" if device.type == "cuda" else "CPU")
    return f"{HEADING}: {title}" + (" (quick sanity run)" if args.quick else "")


def report(args, machine, peaks, contenders, rows, profiles, sweep, command, retries) -> str:
    reference, ours = contenders[0], contenders[1]
    if args.quick:
        weights = "a tiny random BERT (a sanity run: these timings mean nothing)"
    elif args.weights == "random":
        weights = "random weights of all-MiniLM-L6-v2's shape"
    else:
        weights = "all-MiniLM-L6-v2 weights"
    load = "n/a"
    with contextlib.suppress(AttributeError, OSError):
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    peak_text = ", ".join(f"{_precision(d)} {p / 1e9:,.0f} GFLOP/s" for d, p in peaks.items())
    n_rounds = len(rows[0][2][reference.name])
    lines = [
        f"{machine}. {weights}; {datetime.date.today()}; load average at the end {load}.",
        "",
        f"`{command}`. The reference is `transformers.BertModel` (SDPA) with the default"
        " `torch.optim.AdamW` (foreach); minBERT runs fused AdamW"
        f"{' and torch.compile' if args.compile else ''}, and evaluates under"
        " `inference_mode`. Same weights, head and batches (lengths uniform in [T/2, T]); the"
        f" contenders take turns in every round, the order rotating; medians of {n_rounds}"
        f" rounds after the warm-up. Matmul peak measured here: {peak_text}. Rounds run again"
        f" because other processes used over {MAX_OTHER_LOAD:.0%} of the CPUs:"
        f" {LOAD_LOG['redone']}; kept although they did, after {retries} retries:"
        f" {LOAD_LOG['kept']}.",
        "",
        "| workload | contender | precision | median | speed-up | per-round speed-up, p10-p90"
        " | MFU |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for work, padding, times, flops in rows:
        a = statistics.median(times[reference.name])
        for c in contenders:
            t = statistics.median(times[c.name])
            mfu = flops / t / peaks[c.dtype]
            if c is reference:
                cells = f"{c.precision} | {t * 1e3:.1f} ms | 1 | | {mfu:.0%}"
                label = work.label + (f", {padding:.0%} padding" if padding else "")
                lines.append(f"| {label} | {c.name} | {cells} |")
                continue
            ratios = sorted(
                x / y for x, y in zip(times[reference.name], times[c.name], strict=True)
            )
            speedup = f"**{a / t:.2f}x**" if c is ours else f"{a / t:.2f}x"
            lines.append(
                f"| | {c.name} | {c.precision} | {t * 1e3:.1f} ms | {speedup} |"
                f" {_quantile(ratios, 0.1):.2f}-{_quantile(ratios, 0.9):.2f} | {mfu:.0%} |"
            )
    lines += ["", *_target_lines(rows, reference, ours, peaks)]
    if profiles:
        lines += ["", *_profile_lines(profiles, contenders, _profiled_calls(args))]
    if sweep:
        lines += [
            "",
            f"### Evaluation batch size: {ours.name}, {ours.precision}, 64 tokens",
            "",
            "| eval batch | ms per batch | sentences/s |",
            "| ---: | ---: | ---: |",
            *[f"| {b} | {s * 1e3:.0f} | {b / s:,.0f} |" for b, s in sweep],
        ]
    return "\n".join(lines) + "\n"


def _precision(dtype: torch.dtype) -> str:
    return "bf16" if dtype == torch.bfloat16 else "fp32"


def _target_lines(rows, reference: Contender, ours: Contender, peaks) -> list[str]:
    """Each workload against issue #5's target, and the bound its FLOPs put on any speed-up:
    a step doing nothing but its model FLOPs at the measured peak."""
    out = [
        f"Issue #5's targets, {ours.name} vs {reference.name} in the same precision"
        f" ({reference.precision}). The bound is the speed-up of a step made of nothing but its"
        " useful FLOPs at the measured peak:",
        "",
    ]
    for work, _, times, flops in rows:
        a, b = statistics.median(times[reference.name]), statistics.median(times[ours.name])
        target = TARGETS[work.kind]
        verdict = "met" if a / b >= target else "not met"
        bound = a / (flops / peaks[reference.dtype])
        out.append(
            f"- {work.label}: {a / b:.3f}x for a target of {target}x, {verdict};"
            f" bound {bound:.2f}x ({flops / peaks[reference.dtype] * 1e3:.0f} ms of matmuls)."
        )
    return out


def _profiled_calls(args: argparse.Namespace) -> int:
    return 1 if args.quick else PROFILED_STEPS


def _profile_lines(profiles, contenders: list[Contender], calls: int) -> list[str]:
    categories = [*CATEGORIES, OPTIMIZER, OTHER]
    out = [
        "### Where the time goes",
        "",
        "Self CPU time per call from `torch.profiler`, by category: the median of"
        f" {calls} profiled calls (the profiler adds a little to every op). matmuls are"
        " the linear layers' and attention's batched ones; other is copies, casts, adds, masks,"
        " gradient buffers and minBERT's packing.",
        "",
        "| workload | contender | " + " | ".join(categories) + " | total |",
        "| --- | --- |" + " ---: |" * (len(categories) + 1),
    ]
    for work, by_contender in profiles.items():
        for i, c in enumerate(contenders):
            seconds = by_contender[c.name]
            cells = [f"{seconds[k] * 1e3:.0f} ms" for k in categories]
            label = work.label if i == 0 else ""
            total = f"{sum(seconds.values()) * 1e3:.0f} ms"
            out.append(f"| {label} | {c.name} | " + " | ".join(cells) + f" | {total} |")
    return out


def _quantile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))]


def replace_section(text: str, heading: str, body: str) -> str:
    """``text`` with the section under ``heading`` replaced by ``heading`` and ``body``
    (appended if absent); other ``## `` sections are left as they are."""
    section = f"{heading}\n\n{body.rstrip()}\n"
    if heading + "\n" not in text:
        return text.rstrip() + "\n\n" + section
    start = text.index(heading + "\n")
    end = text.find("\n## ", start + len(heading))
    rest = "" if end == -1 else text[end:]
    return text[:start] + section + rest


if __name__ == "__main__":
    main()
