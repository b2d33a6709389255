"""The training loop (``training/loop.py``) end to end on smoke runs: what a run records, that it
repeats under its seed, that it learns, and that every head, loss and regularizer trains."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from smoke_configs import MULTITASK_SMOKE, STS_SMOKE, THREE_TASKS

from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.training.loop import train


def test_smoke_multitask_run_records_history_and_predictions(smoke_result: dict) -> None:
    result = smoke_result  # MULTITASK_SMOKE, trained once per session
    steps = result["history"]["steps"]
    assert {s["task"] for s in steps} == {"sst", "para", "sts"}
    assert len(steps) == 3 * 2  # 32 examples / batch 16, per task, one epoch
    assert set(result["metrics"]) >= {"sst_acc", "para_acc", "sts_pearson", "score", "epoch"}
    preds = result["predictions"]
    assert len(preds["sst"]["predictions"]) == len(preds["sst"]["labels"]) == 32
    assert set(preds["sst"]["predictions"]) <= {0, 1, 2, 3, 4}
    assert all(0 <= p <= 5 for p in preds["sts"]["predictions"])
    assert result["data"]["quora_split"] == "carved-from-dev"
    assert result["timings"]["train_examples_per_second"] > 0


@pytest.mark.slow  # about 50 s where bf16 is emulated (CPUs without AVX512-BF16 or AMX)
@pytest.mark.filterwarnings("ignore:this CPU has no native bf16")
def test_bf16_autocast_trains_and_is_recorded(data_dir: Path) -> None:
    config = RunConfig(tasks={"para": TaskConfig("CE", "bce", "smart", 1.0)}, profile="smoke",
                       precision="bf16")
    result = train(config, data_dir=data_dir, progress=False)
    fp32 = train(dataclasses.replace(config, precision="fp32"), data_dir=data_dir, progress=False)
    assert result["config"]["precision"] == "bf16"
    losses = [s["loss"] for s in result["history"]["steps"]]
    reference = [s["loss"] for s in fp32["history"]["steps"]]
    assert losses != reference  # bf16 really ran
    assert losses == pytest.approx(reference, rel=0.05)  # and stays close to fp32


def test_same_seed_repeats_and_another_seed_differs(data_dir: Path) -> None:
    first = train(STS_SMOKE, data_dir=data_dir, progress=False)
    again = train(STS_SMOKE, data_dir=data_dir, progress=False)
    other = train(dataclasses.replace(STS_SMOKE, seed=1), data_dir=data_dir, progress=False)
    assert first["metrics"] == again["metrics"]
    assert [s["loss"] for s in first["history"]["steps"]] == [
        s["loss"] for s in again["history"]["steps"]]
    assert first["metrics"] != other["metrics"]


@pytest.mark.slow
def test_training_lowers_the_loss_on_every_task(data_dir: Path) -> None:
    config = dataclasses.replace(MULTITASK_SMOKE, epochs=4, lr=1e-4, ordering="round_robin")
    steps = train(config, data_dir=data_dir, progress=False)["history"]["steps"]
    for task in THREE_TASKS:
        losses = [s["loss"] for s in steps if s["task"] == task]
        first, last = np.mean(losses[:2]), np.mean(losses[-2:])
        assert last < first, f"{task}: training loss went from {first:.3f} to {last:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("task_config", [
    {"sst": TaskConfig("linear", "weighted_ce", "smart", 1.0)},
    {"para": TaskConfig("S-CD", "mnr", "l2", 0.01)},
    {"para": TaskConfig("S-CS", "cos_emb")},
    {"sts": TaskConfig("S-CS", "cos_emb", "smart", 1.0)},
    {"sts": TaskConfig("S-CD", "mse")},
])
def test_every_strategy_trains(task_config: dict, data_dir: Path) -> None:
    config = RunConfig(tasks=task_config, profile="smoke", bregman_weight=0.5, shared_trunk=True,
                       ordering="weighted")
    result = train(config, data_dir=data_dir, progress=False)
    assert np.isfinite(result["metrics"]["score"])
