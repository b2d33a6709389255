"""Runs with PCGrad and the conflict probe resume like every other run: PCGrad's task-order RNG
and the probe's records are part of the resume state."""

from __future__ import annotations

from pathlib import Path

import pytest

from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.training.loop import train
from minbert_lab.training.trainee import Trainee

CONFIG = RunConfig(tasks={"sst": TaskConfig("linear", "cross_entropy"),
                          "para": TaskConfig("cross_encoder", "bce"),
                          "sts": TaskConfig("siamese_cosine", "mse")},
                   profile="smoke", epochs=2, max_length=16, ordering="round_robin",
                   tasks_per_step="all", gradient_surgery="pcgrad", conflict_probes=4)


@pytest.mark.slow
def test_an_interrupted_pcgrad_run_with_probes_resumes_to_the_same_result(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = train(CONFIG, data_dir=data_dir, progress=False)
    real, calls = Trainee.loss, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3 * 3 + 1:  # the first batch of step 3 (three tasks per step)
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(Trainee, "loss", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False,
                    resume_every=1)
    monkeypatch.setattr(Trainee, "loss", real)
    resumed = run_or_load(CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False,
                          resume_every=1)
    assert resumed["resumed_at_steps"] == [3]
    for key in ("metrics", "history", "predictions"):
        assert resumed[key] == reference[key], key
    assert any(s.get("projected") for s in resumed["history"]["steps"])  # PCGrad projected
