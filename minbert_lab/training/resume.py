"""Resumable training: a run's whole state, saved atomically with a checksum in the file.

(Called a *resume state* here, never a "checkpoint": in this lab that word means the pretrained
weights a run starts from.) A resume state holds everything the next step depends on: the
model's and the optimizer's tensors, the Bregman teacher when there is one, torch's global RNG
state (dropout and SMART's noise draw from it), the position in the epoch and in each task's
batch stream, and the run's record so far (per-step losses, per-epoch metrics, the best epoch
and its predictions, timings). Resuming restores all of it and rebuilds the batch streams at
their saved position without training anything twice, so a resumed run ends with the numbers of
a run never interrupted (bitwise, on CPU, with the same seed).

The file is one line of magic, one line with the sha256 of the rest, and a ``torch.save``
payload of tensors and plain containers only, read back with ``torch.load(weights_only=True)``:
nothing in it can run code. A file that is truncated, edited, written for another config or by
another format version is reported with a warning and ignored, and the run starts from step 0:
it is never resumed from a state that is not its own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from minbert_lab.config import RunConfig
from minbert_lab.files import atomic_write
from minbert_lab.training.task_batches import CyclingBatches

FORMAT = 1
MAGIC = b"minbert-lab training checkpoint\n"
# With no step count given, a run saves after this much time since its last save (and at
# epoch ends): one save of MiniLM costs about a second, well under 1% of the time it protects.
RESUME_SECONDS = 300.0


class DamagedResumeStateError(ValueError):
    """A resume-state file is not one this code wrote, whole, for this run."""


@dataclass
class RunProgress:
    """What a run has done so far, apart from the model and optimizer tensors.

    ``epoch`` and ``position`` say where training continues: the epoch in progress (or the next
    one) and how many of its steps are done. ``streams`` holds each task's
    :class:`CyclingBatches` state at that point (empty at an epoch boundary).
    """

    epoch: int = 0
    position: int = 0
    step: int = 0  # optimizer steps taken in all
    examples: int = 0
    train_seconds: float = 0.0  # wall clock: a paused process (SIGSTOP) keeps counting
    train_cpu_seconds: float = 0.0  # this process's CPU time, all its threads: pauses add none
    eval_seconds: float = 0.0
    steps: list[dict] = field(default_factory=list)  # {"step", "epoch", "task", "loss"}
    epochs: list[dict] = field(default_factory=list)  # {"epoch", <dev metrics>, "score"}
    best: dict = field(default_factory=lambda: {"score": -math.inf})
    best_predictions: dict | None = None
    streams: dict[str, dict[str, int]] = field(default_factory=dict)
    resumed_at_steps: list[int] = field(default_factory=list)
    surgery_rng: list | None = None  # PCGrad's random.Random state (``getstate()``)
    conflict: list[dict] = field(default_factory=list)  # the conflict probe's records so far

    def fast_forward(self, sources: dict[str, CyclingBatches]) -> int:
        """Puts each task's batch stream where it was; returns the steps of the epoch done."""
        for task, state in self.streams.items():
            sources[task].load_state_dict(state)
        return self.position


class ResumeFile:
    """Saves a run to ``path`` every ``every`` steps and at epoch ends, and resumes it.

    Args:
        path: the resume-state file (``run_or_load`` puts it next to the result, ``<key>.resume``).
        config: the resolved config; a state written for any other config is ignored.
        every: steps between saves; ``None`` saves every ``RESUME_SECONDS`` instead.

    Example:
        >>> resume = ResumeFile("runs/smoke/abc.resume", config, every=100)
        >>> run = resume.start(model, optimizer)  # a fresh RunProgress, or the saved one
        >>> if resume.due(run.step):
        ...     resume.save(run, epoch=epoch, position=position, sources=sources)
    """

    def __init__(self, path: Path | str, config: RunConfig, *, every: int | None = None) -> None:
        if every is not None and (isinstance(every, bool) or not isinstance(every, int)
                                  or every < 1):
            raise ValueError(f"resume_every={every!r} is not valid; None (every "
                             f"{RESUME_SECONDS:.0f} s) or an integer >= 1 (steps)")
        self.path, self.config, self.every = Path(path), config, every
        self.model: nn.Module | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.teacher: nn.Module | None = None
        self._last_save = time.monotonic()

    def start(self, model: nn.Module, optimizer: torch.optim.Optimizer,
              teacher: nn.Module | None = None) -> RunProgress:
        """Names what each save holds, and loads the saved state into it if there is one.

        Returns:
            The saved progress (model, optimizer, teacher and RNG restored), or a fresh
            ``RunProgress`` when there is no usable saved state (a damaged one is warned about).
        """
        self.model, self.optimizer, self.teacher = model, optimizer, teacher
        self._last_save = time.monotonic()
        if not self.path.is_file():
            return RunProgress()
        try:
            payload = read_resume_state(self.path)
            run = self._check(payload)
        except DamagedResumeStateError as err:
            warnings.warn(f"resume state {self.path} is not usable ({err}); training from the"
                          " start instead", stacklevel=2)
            return RunProgress()
        # Every part was checked against its target above, so none of these can fail halfway
        # and leave the model half restored.
        optimizer.load_state_dict(payload["optimizer"])
        model.load_state_dict(payload["model"])
        if teacher is not None:
            teacher.load_state_dict(payload["teacher"])
        torch.set_rng_state(payload["rng"]["cpu"])
        if payload["rng"]["cuda"] is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state(payload["rng"]["cuda"], self._device())
        run.resumed_at_steps.append(run.step)
        return run

    def due(self, step: int) -> bool:
        """Whether to save after optimizer step ``step`` (counted from 1)."""
        if self.every is not None:
            return step % self.every == 0
        return time.monotonic() - self._last_save >= RESUME_SECONDS

    def save(self, run: RunProgress, *, epoch: int, position: int = 0,
             sources: dict[str, CyclingBatches] | None = None, seconds: float = 0.0,
             cpu_seconds: float = 0.0) -> None:
        """Writes the state after ``position`` steps of ``epoch`` (atomically).

        Args:
            run: the progress so far; it is not changed.
            epoch: the epoch training continues in.
            position: its steps already done (0 at an epoch boundary).
            sources: the epoch's batch streams, when saving mid-epoch.
            seconds: training time of the epoch so far, not yet in ``run.train_seconds``.
            cpu_seconds: its CPU time, not yet in ``run.train_cpu_seconds``.
        """
        if self.model is None or self.optimizer is None:
            raise RuntimeError("call start() before save()")
        progress = dataclasses.asdict(run)
        progress.update(
            epoch=epoch, position=position, train_seconds=run.train_seconds + seconds,
            train_cpu_seconds=run.train_cpu_seconds + cpu_seconds,
            streams={t: s.state_dict() for t, s in (sources or {}).items()},
        )
        cuda = self._device().type == "cuda"
        payload = {
            "format": FORMAT,
            "config": self.config.to_dict(),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "teacher": self.teacher.state_dict() if self.teacher is not None else None,
            "rng": {"cpu": torch.get_rng_state(),
                    "cuda": torch.cuda.get_rng_state(self._device()) if cuda else None},
            "progress": progress,
        }
        write_resume_state(self.path, payload)
        self._last_save = time.monotonic()

    def _device(self) -> torch.device:
        return next(self.model.parameters()).device

    def _check(self, payload: dict) -> RunProgress:
        """The payload's progress, after checking every part fits this run's objects."""
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise DamagedResumeStateError(f"not format {FORMAT}")
        try:  # read as a config, so a state saved before a field was renamed still matches
            written_for = RunConfig.from_dict(payload.get("config"))
        except (ValueError, TypeError, AttributeError) as err:
            raise DamagedResumeStateError(f"its config is malformed: {err}") from err
        if written_for != self.config:
            raise DamagedResumeStateError("it was written for another config")
        try:  # the checksum held, so only a file made on purpose gets here with odd types
            _check_state("model", payload["model"], self.model.state_dict())
            if self.teacher is not None:
                _check_state("teacher", payload["teacher"], self.teacher.state_dict())
            _check_optimizer(payload["optimizer"], self.optimizer)
            rng = payload["rng"]["cpu"]
            cuda = payload["rng"]["cuda"]
            if (rng.dtype != torch.uint8 or rng.shape != torch.get_rng_state().shape
                    or not (cuda is None or isinstance(cuda, torch.Tensor))):
                raise DamagedResumeStateError("its RNG state is not torch's")
            run = RunProgress(**payload["progress"])
            if not set(run.streams) <= set(self.config.tasks) or not all(
                    isinstance(v, int) for state in run.streams.values()
                    for v in (state["pass_index"], state["position"])):
                raise DamagedResumeStateError("its batch streams are not this run's")
        except (AttributeError, KeyError, TypeError) as err:
            raise DamagedResumeStateError(f"malformed: {err!r}") from err
        if not 0 <= run.epoch < self.config.epochs or not 0 <= run.position:
            raise DamagedResumeStateError(f"epoch {run.epoch} is outside the run")
        return run


def write_resume_state(path: Path | str, payload: dict) -> None:
    """Writes ``payload`` with its checksum to a temporary file, then renames it to ``path``.

    A kill at any moment leaves either the previous state or the new one, whole; never
    half a file under ``path``. (Without fsync a power cut could still truncate it; the
    checksum catches that.)
    """
    path = Path(path)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    body = buffer.getbuffer()
    header = MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n"
    atomic_write(path, [header, body])


def read_resume_state(path: Path | str) -> dict:
    """The payload of a resume-state file, after verifying its checksum.

    Raises:
        DamagedResumeStateError: the file is truncated, edited, not a resume state, or holds
            anything but tensors and plain containers.
    """
    data = Path(path).read_bytes()
    digest_end = len(MAGIC) + 64
    if not data.startswith(MAGIC) or data[digest_end:digest_end + 1] != b"\n":
        raise DamagedResumeStateError("no resume-state header")
    body = memoryview(data)[digest_end + 1:]
    if hashlib.sha256(body).hexdigest().encode() != data[len(MAGIC):digest_end]:
        raise DamagedResumeStateError("checksum mismatch: truncated or edited")
    try:
        return torch.load(io.BytesIO(body), map_location="cpu", weights_only=True)
    except Exception as err:  # unpickling raises many types; a good checksum on a bad pickle
        raise DamagedResumeStateError(f"unreadable payload: {err}") from err  # was made on purpose


def _check_state(name: str, saved: dict, expected: dict[str, torch.Tensor]) -> None:
    if saved.keys() != expected.keys():
        raise DamagedResumeStateError(f"its {name} tensors are not this model's")
    for key, tensor in expected.items():
        if saved[key].shape != tensor.shape or saved[key].dtype != tensor.dtype:
            raise DamagedResumeStateError(f"{name} tensor {key} has the wrong shape or dtype")


def _check_optimizer(saved: dict, optimizer: torch.optim.Optimizer) -> None:
    groups = optimizer.param_groups
    if len(saved["param_groups"]) != len(groups):
        raise DamagedResumeStateError("its optimizer state is not this optimizer's")
    params = [p for group in groups for p in group["params"]]
    for saved_group, group in zip(saved["param_groups"], groups, strict=True):
        if len(saved_group["params"]) != len(group["params"]):
            raise DamagedResumeStateError("its optimizer groups differ in size")
    for index, state in saved["state"].items():
        if not isinstance(index, int) or not 0 <= index < len(params):
            raise DamagedResumeStateError(f"optimizer state for unknown parameter {index!r}")
        for key in ("exp_avg", "exp_avg_sq"):
            if key in state and state[key].shape != params[index].shape:
                raise DamagedResumeStateError(f"optimizer {key} of parameter {index} has the"
                                             " wrong shape")
