"""``python -m minbert_lab`` (``__main__.py``) is the command line, and exits with its status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from minbert_lab.cli import COMMANDS

REPO = Path(__file__).resolve().parents[1]


def _module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "minbert_lab", *args], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"})


def test_help_exits_0_and_lists_the_commands():
    done = _module("--help")
    assert done.returncode == 0, done.stderr
    assert all(name in done.stdout for name in COMMANDS)


def test_a_usage_error_exits_2():
    done = _module("no-such-command")
    assert done.returncode == 2 and "usage:" in done.stderr
