"""Stopping a run cleanly: Ctrl-C or SIGTERM during training finishes the current step, saves
the resume state and stops with one line; the same command run again resumes there.

While :class:`StopRequests` is active (``train`` holds it), SIGINT and SIGTERM only set a flag,
checked after every optimizer step and after every evaluation, so the state saved is always a
whole step's. A second Ctrl-C stops at once (``KeyboardInterrupt``), losing the steps since the
last save. Under ``torchrun`` every rank checks the flags of all of them, so all stop at the same
step. Outside the main thread (no signal handlers there) nothing changes.
"""

from __future__ import annotations

import signal
import sys
import threading

import torch
import torch.distributed as dist
from tqdm.auto import tqdm

from minbert_lab.training.distributed import World

HANDLED = (signal.SIGINT, signal.SIGTERM)
EXIT_STATUS = {"SIGINT": 130, "SIGTERM": 143}  # what a shell reports for a run they killed


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on a signal after saving its resume state (``saved``: whether it
    could; a run with no resume file has none)."""

    def __init__(self, signal_name: str, step: int, total: int, saved: bool) -> None:
        self.signal_name, self.step, self.total, self.saved = signal_name, step, total, saved
        where = f"interrupted ({signal_name}) at step {step}/{total}"
        super().__init__(f"{where}; rerun the same command to resume" if saved else
                         f"{where}; this run keeps no resume state, so it starts over when run "
                         "again")

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS.get(self.signal_name, 130)


class StopRequests:
    """Turns SIGINT and SIGTERM into a request to stop after the current step."""

    def __init__(self, world: World, device: torch.device) -> None:
        self.world, self.device = world, device
        self.signal_name: str | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for signum in HANDLED:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            if handler is not None:  # None: installed outside Python, cannot be put back
                signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame) -> None:
        if self.signal_name is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # asked twice: stop now
        self.signal_name = signal.Signals(signum).name
        # above the progress bar, not inside its line
        tqdm.write(f"{self.signal_name}: stopping after this step to save the resume state "
                   "(Ctrl-C again stops at once)", file=sys.stderr)

    def requested(self) -> str | None:
        """The signal that asked to stop, on any rank; ``None`` to go on."""
        if not self.world.distributed:
            return self.signal_name
        flag = torch.tensor([1.0 if self.signal_name else 0.0], device=self.device)
        dist.all_reduce(flag)  # on the training device: NCCL takes CUDA tensors only
        if flag.item() and self.signal_name is None:
            self.signal_name = "SIGTERM"  # another rank was signalled
        return self.signal_name
