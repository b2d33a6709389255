"""Ctrl-C and SIGTERM during a run: one line, the resume state saved at a whole step, exit 130
or 143; the same command run again says it resumed and ends with the uninterrupted numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from faulty_run import child_env

# Sends the signal to itself inside training step STEP (0-based, before its forward pass), then
# runs the command line as `python -m minbert_lab` would.
SCRIPT = """
import os, signal, sys
from minbert_lab.training.trainee import Trainee
real, calls = Trainee.loss, []
def loss(*args, **kwargs):
    if len(calls) == {step}:
        os.kill(os.getpid(), signal.{signal})
    calls.append(1)
    return real(*args, **kwargs)
Trainee.loss = loss
from minbert_lab.cli import main
sys.exit(main({argv!r}))
"""
STEP = 1  # of 4 in the smoke profile


def _argv(data_dir: Path, runs_dir: Path) -> list[str]:
    return ["--data-dir", str(data_dir), "run", "--tasks", "sst,sts", "--profile", "smoke",
            "--runs-dir", str(runs_dir)]


def _run(argv: list[str], signal: str | None = None) -> subprocess.CompletedProcess:
    command = ([sys.executable, "-c", SCRIPT.format(step=STEP, signal=signal, argv=argv)]
               if signal else [sys.executable, "-m", "minbert_lab", *argv])
    return subprocess.run(command, env=child_env(), timeout=300, capture_output=True, text=True)


@pytest.mark.slow
@pytest.mark.parametrize(("signal", "status"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_saves_the_step_says_one_line_and_the_rerun_resumes(
        signal: str, status: int, data_dir: Path, tmp_path: Path) -> None:
    reference = _run(_argv(data_dir, tmp_path / "reference"))
    assert reference.returncode == 0, reference.stderr
    argv = _argv(data_dir, tmp_path / "runs")

    stopped = _run(argv, signal)
    assert stopped.returncode == status, stopped.stderr
    assert "Traceback" not in stopped.stderr
    last = stopped.stderr.strip().splitlines()[-1]
    assert last.startswith(f"python -m minbert_lab: interrupted ({signal}) at step {STEP + 1}/")
    assert last.endswith("; rerun the same command to resume")
    assert stopped.stdout == ""  # no half result on stdout
    assert list((tmp_path / "runs" / "smoke").glob("*.resume"))

    again = _run(argv)
    assert again.returncode == 0, again.stderr
    assert f"resuming at step {STEP + 1}/" in again.stderr
    assert json.loads(again.stdout)["metrics"] == json.loads(reference.stdout)["metrics"]
