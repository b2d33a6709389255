"""The fault tests' shared run, and a script that trains it and dies on cue.

Importable from the fault tests (``from faulty_run import FAULT_CONFIG, ...``). Run as a script,
it calls ``run_or_load(FAULT_CONFIG)`` and injects one fault chosen on the command line::

    python faulty_run.py DATA RUNS --kill-at-step 7           # SIGKILL inside training step 7
    python faulty_run.py DATA RUNS --kill-writing-resume-state 2  # SIGKILL mid-write, 2nd save
    python faulty_run.py DATA RUNS --kill-writing-result       # SIGKILL mid-write of the result
    python faulty_run.py DATA RUNS --hold-at-step 2 --until FILE  # pause until FILE exists
    python faulty_run.py DATA RUNS --signal-waiting FILE  # create FILE when it waits for a lock

It prints one JSON line (``cached``, ``metrics``) when it finishes, and ``TRAINING`` as the
first training step starts. A kill is a real SIGKILL: no ``finally`` block or ``atexit`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import warnings
from pathlib import Path

from minbert_lab.config import RunConfig, TaskConfig

# Every source of state a resumed run must restore: two epochs; three tasks in a weighted
# ordering that draws some task more often than it has batches (its stream cycles into a second
# pass); dropout masks from torch's global RNG; AdamW's moments; a Bregman EMA teacher.
# (SMART draws its noise from the same RNG, so it would add cost, not coverage.) Sentences are
# cut to 16 tokens to keep each step cheap.
FAULT_CONFIG = RunConfig(
    tasks={"sst": TaskConfig("linear", "ce"), "para": TaskConfig("CE", "bce"),
           "sts": TaskConfig("S-CS", "mse")},
    profile="smoke", epochs=2, max_length=16, ordering="weighted", bregman_weight=0.5,
)
FAULT_STEPS = 12  # smoke: 32 examples per task in batches of 16 -> 6 steps per epoch
RESUME_EVERY = 3
REPO = Path(__file__).resolve().parents[2]


def same_run(result: dict, reference: dict) -> None:
    """Asserts two results hold the same numbers: best metrics, every loss, every prediction."""
    assert result["metrics"] == reference["metrics"]
    assert result["history"] == reference["history"]
    assert result["predictions"] == reference["predictions"]


def script(data_dir: Path, runs_dir: Path, *args: str) -> list[str]:
    """The command line that runs this file as a child process."""
    return [sys.executable, str(Path(__file__)), str(data_dir), str(runs_dir), *args]


def child_env() -> dict[str, str]:
    """The child imports this checkout's minbert_lab, whatever the environment installs."""
    return {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}


def _die_while_writing(suffix: str, nth: int) -> None:
    """Makes the ``nth`` rename onto a ``suffix`` file cut its temporary file in half and SIGKILL
    the process: what a kill in the middle of writing the bytes leaves behind."""
    real_replace, seen = os.replace, []

    def replace(src, dst, *args, **kwargs):
        if str(dst).endswith(suffix):
            seen.append(dst)
            if len(seen) == nth:
                size = os.path.getsize(src)
                os.truncate(src, size // 2)
                os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(src, dst, *args, **kwargs)

    os.replace = replace


def _at_step(step: int, action) -> None:
    """Runs ``action`` inside training step ``step`` (0-based), before its forward pass."""
    from minbert_lab.training.trainee import Trainee

    real_loss, calls = Trainee.loss, []

    def training_loss(*args, **kwargs):
        if not calls:
            print("TRAINING", flush=True)
        if len(calls) == step:
            action()
        calls.append(1)
        return real_loss(*args, **kwargs)

    Trainee.loss = training_loss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("runs_dir", type=Path)
    parser.add_argument("--resume-every", type=int, default=RESUME_EVERY)
    parser.add_argument("--kill-at-step", type=int)
    parser.add_argument("--kill-writing-resume-state", type=int)
    parser.add_argument("--kill-writing-result", action="store_true")
    parser.add_argument("--hold-at-step", type=int)
    parser.add_argument("--until", type=Path)
    parser.add_argument("--signal-waiting", type=Path)
    args = parser.parse_args()

    if args.kill_at_step is not None:
        _at_step(args.kill_at_step, lambda: os.kill(os.getpid(), signal.SIGKILL))
    if args.kill_writing_resume_state is not None:
        _die_while_writing(".resume", args.kill_writing_resume_state)
    if args.kill_writing_result:
        _die_while_writing(".json", 1)
    if args.hold_at_step is not None:
        def hold() -> None:
            deadline = time.monotonic() + 120
            while not args.until.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        _at_step(args.hold_at_step, hold)

    caught: list[str] = []

    def show(message, *rest, **kwargs) -> None:  # warnings are seen as they are raised
        caught.append(str(message))
        if args.signal_waiting is not None and "waiting" in str(message):
            args.signal_waiting.touch()

    warnings.showwarning = show
    warnings.simplefilter("always")
    from minbert_lab.experiments.cache import run_or_load

    result = run_or_load(FAULT_CONFIG, data_dir=args.data_dir, runs_dir=args.runs_dir,
                         progress=False, resume_every=args.resume_every)
    print(json.dumps({"cached": result["cached"], "metrics": result["metrics"],
                      "warnings": caught}), flush=True)


if __name__ == "__main__":
    main()
