"""Timing on a shared machine: contenders take turns in rounds, the order rotating, and a round
during which other processes kept the CPUs busy is run again. Also the matmul peak that MFU is
measured against, and the description of the machine that goes with every table."""

from __future__ import annotations

import contextlib
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch

from minbert_lab import cpu_model

MAX_OTHER_LOAD = 0.1  # of all CPUs, used by other processes during a round
PAUSE = 5.0  # seconds before a round is run again


@dataclass
class LoadLog:
    """What other processes did to a run: rounds redone, and rounds kept loaded after retries."""

    redone: int = 0
    kept: int = 0


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


def sync(device: torch.device) -> None:
    """Waits for the GPU's queued work, so that a timer measures it; nothing on a CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def race(
    fns: dict[str, Callable[[], None]],
    *,
    warmup: int,
    repeats: int,
    device: torch.device,
    log: LoadLog,
    retries: int = 4,
) -> dict[str, list[float]]:
    """Seconds per call of each function, in turns; who goes first rotates every round.

    A round during which other processes kept the CPUs busy (``OtherLoad``) is run again, up to
    ``retries`` times with a pause before each, then kept: on a shared 2-core machine one busy
    neighbour slows every OpenMP op of ours severalfold, and that says nothing about the code.
    Both are counted in ``log``.
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
            sample = {name: timed(fns[name], device) for name in names[k:] + names[:k]}
            if load.fraction() <= MAX_OTHER_LOAD:
                break
            if attempt < retries:
                log.redone += 1
                time.sleep(PAUSE)
            else:
                log.kept += 1
        for name, seconds in sample.items():
            times[name].append(seconds)
    return times


def timed(fn: Callable[[], None], device: torch.device) -> float:
    """Seconds one call of ``fn`` takes, its GPU work included."""
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


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
            flops = 2 * n**3 / timed(partial(torch.matmul, a, b), device)
            if device.type == "cuda" or load.fraction() <= MAX_OTHER_LOAD:
                quiet = max(quiet, flops)
            loaded = max(loaded, flops)
    return quiet or loaded


def load_average() -> str:
    """``os.getloadavg()`` as "1.98 1.81 1.80" (1, 5 and 15 minutes), or "n/a"."""
    with contextlib.suppress(AttributeError, OSError):
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "n/a"


def describe_machine(device: torch.device) -> str:
    """The device, thread counts and library versions a table was measured with."""
    import transformers  # only for its version; the harness itself does not need it

    if device.type == "cuda":
        where = f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    else:
        where = f"{cpu_model()}, {os.cpu_count()} logical CPUs"
    threads = f"{torch.get_num_threads()} intra-op / {torch.get_num_interop_threads()} inter-op"
    return (f"{where}; torch {torch.__version__} ({threads} threads), transformers "
            f"{transformers.__version__}, Python {platform.python_version()}")  # fmt: skip
