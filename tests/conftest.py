"""Shared fixtures: the data source named by DATA_SOURCE, prepared once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MIRROR = REPO.parent / "shared" / "data" / "cs224n"


@pytest.fixture(scope="session")
def data_source() -> str:
    """DATA_SOURCE (a folder or URL), else the offline mirror beside the repository."""
    source = os.environ.get("DATA_SOURCE") or str(DEFAULT_MIRROR)
    if not source.startswith(("http://", "https://")) and not Path(source).is_dir():
        pytest.fail(f"data source {source!r} not found: set DATA_SOURCE to the CS224N data folder")
    return source


@pytest.fixture(scope="session")
def mirror(data_source: str) -> Path:
    """A local folder holding the CS224N files (the tests' HTTP server serves it)."""
    if data_source.startswith(("http://", "https://")):
        pytest.skip("DATA_SOURCE is a URL; this test needs a local mirror folder")
    return Path(data_source)


@pytest.fixture(scope="session")
def data_dir(data_source: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real data, prepared once into a temporary folder."""
    from minbert_lab.data.prepare import prepare

    folder = tmp_path_factory.mktemp("data")
    prepare(data_source, folder)
    return folder


@pytest.fixture(autouse=True)
def _torch_threads_restored():
    """Every test ends with the thread count it started with. A test that leaves torch on one
    thread changes the summation order of every later in-process run, and the fault tests,
    which compare in-process results with their subprocesses' to the last bit, then fail."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
