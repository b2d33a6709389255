"""Shared fixtures: the data source named by DATA_SOURCE, prepared once per test session; one
finished smoke run (``smoke_result``); ``interrupt_at``, a Ctrl-C inside a training step; and
``forbid_training``, for tests that a stored run loads.
The configs behind them are in ``smoke_configs.py``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from smoke_configs import MULTITASK_SMOKE

import minbert_lab.training.loop as loop

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


@pytest.fixture(scope="session")
def smoke_result(data_dir: Path) -> dict:
    """``MULTITASK_SMOKE`` trained once, for tests that only read a finished run's record.
    Shared by every test of the session: read it, never change it."""
    from minbert_lab.training.loop import train

    return train(MULTITASK_SMOKE, data_dir=data_dir, progress=False)


@pytest.fixture
def interrupt_at() -> Callable[[int], contextlib.AbstractContextManager[None]]:
    """``with interrupt_at(n):`` the ``n``-th call (0-based) of ``Trainee.loss``, the training
    step's seam, raises ``KeyboardInterrupt`` as Ctrl-C in a notebook would; the real method is
    back when the block ends. With one task per step, call ``n`` is the forward of step ``n``;
    with every task in each step, step ``s`` starts at call ``s * len(tasks)``.

    Example:
        >>> with interrupt_at(4), pytest.raises(KeyboardInterrupt):
        ...     run_or_load(config, data_dir=data_dir, runs_dir=tmp_path, resume_every=3)
    """
    from minbert_lab.training.trainee import Trainee

    @contextlib.contextmanager
    def interrupted(call: int) -> Iterator[None]:
        real, calls = Trainee.loss, []

        def loss(*args, **kwargs):
            calls.append(1)
            if len(calls) == call + 1:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Trainee, "loss", loss)
            yield

    return interrupted


@pytest.fixture
def forbid_training(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call it, and from then on any training fails the test: what follows must load stored
    runs."""
    def forbid() -> None:
        def train(*args, **kwargs):
            raise AssertionError("a stored run trained again")

        monkeypatch.setattr(loop, "train", train)

    return forbid
