"""All-tasks steps, PCGrad, the conflict probe and the balanced sampler inside real (smoke)
training runs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from smoke_configs import MULTITASK_SMOKE, SST_SMOKE, THREE_TASKS

from minbert_lab.config import TaskConfig
from minbert_lab.training.loop import train

ALL_TASKS = dataclasses.replace(MULTITASK_SMOKE, ordering="round_robin", tasks_per_step="all")


def _losses(result: dict) -> list[tuple]:
    return [(s["step"], s["task"], s["loss"]) for s in result["history"]["steps"]]


@pytest.mark.slow
def test_pcgrad_trains_a_batch_of_every_task_per_step(data_dir: Path) -> None:
    summed = train(ALL_TASKS, data_dir=data_dir, progress=False)
    surgery = train(dataclasses.replace(ALL_TASKS, gradient_surgery="pcgrad"), data_dir=data_dir,
                    progress=False)
    steps = surgery["history"]["steps"]
    assert len(steps) == 3 * 2  # 2 rounds (32 examples / batch 16 per task), 3 tasks each
    assert [s["task"] for s in steps if s["step"] == 0] == ["sst", "para", "sts"]
    assert all(s["projected"] in (0, 1, 2) for s in steps)
    assert all("projected" not in s for s in summed["history"]["steps"])
    # the same batches and the same start: step 0's losses agree; only the update differs
    first, reference = _losses(surgery)[:3], _losses(summed)[:3]
    assert [s[:2] for s in first] == [s[:2] for s in reference]
    assert [s[2] for s in first] == pytest.approx([s[2] for s in reference])
    assert np.isfinite(surgery["metrics"]["score"])
    assert surgery["config"]["gradient_surgery"] == "pcgrad"


@pytest.mark.slow
def test_the_probe_records_every_pair_and_changes_no_training(data_dir: Path) -> None:
    probed = train(dataclasses.replace(ALL_TASKS, conflict_probes=3), data_dir=data_dir,
                   progress=False)
    plain = train(ALL_TASKS, data_dir=data_dir, progress=False)
    assert _losses(probed) == _losses(plain)
    assert probed["metrics"] == plain["metrics"]
    records = probed["history"]["conflict"]
    assert {r["step"] for r in records} == {0, 1, 2}  # before, midway, after the 2 steps
    assert {r["pair"] for r in records} == {"sst-para", "sst-sts", "para-sts"}
    groups = {r["group"] for r in records}
    assert {"embeddings", "layer 0", "layer 5", "overall"} <= groups
    assert all(-1 - 1e-6 <= r["cosine"] <= 1 + 1e-6 for r in records)
    assert "conflict" not in plain["history"]


@pytest.mark.slow
def test_the_probe_works_with_one_task_per_step(data_dir: Path) -> None:
    config = dataclasses.replace(MULTITASK_SMOKE, conflict_probes=2,
                                 tasks={"sst": THREE_TASKS["sst"], "sts": THREE_TASKS["sts"]})
    records = train(config, data_dir=data_dir, progress=False)["history"]["conflict"]
    assert {r["step"] for r in records} == {0, 4}  # 4 one-task steps
    assert {r["pair"] for r in records} == {"sst-sts"}


def test_the_balanced_sampler_trains_on_other_batches(data_dir: Path) -> None:
    balanced = dataclasses.replace(
        SST_SMOKE, tasks={"sst": TaskConfig("linear", "ce", sampler="balanced")})
    a = train(SST_SMOKE, data_dir=data_dir, progress=False)
    b = train(balanced, data_dir=data_dir, progress=False)
    assert len(b["history"]["steps"]) == len(a["history"]["steps"])  # same pass size
    assert _losses(a) != _losses(b)
    assert np.isfinite(b["metrics"]["sst_acc"])
