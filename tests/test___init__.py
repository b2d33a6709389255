"""The package itself (``minbert_lab/__init__.py``): its version and the commit a result names."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import minbert_lab

REPO = Path(__file__).resolve().parents[1]


def test_the_version_is_the_projects():
    pyproject = (REPO / "pyproject.toml").read_text()  # tomllib is 3.11+; we support 3.10
    assert f'\nversion = "{minbert_lab.__version__}"\n' in pyproject


def test_code_version_is_this_checkouts_commit():
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    version = minbert_lab.code_version()
    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", version)
    assert version.removesuffix("+dirty") == head


def test_code_version_is_none_without_git(monkeypatch: pytest.MonkeyPatch):
    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(subprocess, "run", no_git)
    assert minbert_lab.code_version() is None
