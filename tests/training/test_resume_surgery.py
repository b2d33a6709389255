"""Runs with PCGrad and the conflict probe resume like every other run: PCGrad's task-order RNG
and the probe's records are part of the resume state."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from smoke_configs import MULTITASK_SMOKE

from minbert_lab.experiments.cache import run_or_load
from minbert_lab.training.loop import train

CONFIG = dataclasses.replace(MULTITASK_SMOKE, epochs=2, max_length=16, ordering="round_robin",
                             tasks_per_step="all", gradient_surgery="pcgrad", conflict_probes=4)


@pytest.mark.slow
def test_an_interrupted_pcgrad_run_with_probes_resumes_to_the_same_result(
        data_dir: Path, tmp_path: Path, interrupt_at) -> None:
    reference = train(CONFIG, data_dir=data_dir, progress=False)
    with interrupt_at(3 * 3), pytest.raises(KeyboardInterrupt):  # step 3's first batch (3 tasks)
        run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False,
                    resume_every=1)
    resumed = run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False,
                          resume_every=1)
    assert resumed["resumed_at_steps"] == [3]
    for key in ("metrics", "history", "predictions"):
        assert resumed[key] == reference[key], key
    assert any(s.get("projected") for s in resumed["history"]["steps"])  # PCGrad projected
