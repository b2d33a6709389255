"""The fault suite's reference: ``FAULT_CONFIG`` trained once, start to end, without faults."""

from __future__ import annotations

from pathlib import Path

import pytest
from faulty_run import FAULT_CONFIG

from minbert_lab.training.loop import train


@pytest.fixture(scope="session")
def reference(data_dir: Path) -> dict:
    """What every recovered run must reproduce, number for number."""
    return train(FAULT_CONFIG, data_dir=data_dir, progress=False)
