"""The recipe's candidate levers on real smoke runs: label smoothing, a private top layer for
SST, teacher annealing from stored single-task outputs; and what the runs store for them (SST
class probabilities on dev, a teacher's outputs on its training set) and the ensemble of runs."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from minbert_lab.analysis.ensemble import ensemble
from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.data.splits import load_manifest
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.committed import as_committed
from minbert_lab.experiments.recipe import (
    fair_single_task_config,
    lever_screen,
    recipe_config,
    teacher_configs,
)
from minbert_lab.experiments.store import RunStore, key_form
from minbert_lab.losses import make_loss
from minbert_lab.metrics import task_metric
from minbert_lab.training.distill import TeacherTargets
from minbert_lab.training.optim import param_groups
from minbert_lab.training.trainee import build

RECIPE = recipe_config("smoke")
SST_ALONE = fair_single_task_config("sst", "smoke")


def test_label_smoothing_is_cross_entropy_on_the_smoothed_target() -> None:
    logits, labels = torch.randn(4, 5), torch.tensor([0, 1, 2, 4])
    loss = make_loss("sst", "cross_entropy", label_smoothing=0.1)(logits, labels)
    target = F.one_hot(labels, 5).float() * 0.9 + 0.1 / 5
    assert loss.item() == pytest.approx(-(target * logits.log_softmax(-1)).sum(-1).mean().item())
    with pytest.raises(ValueError, match="label_smoothing needs a cross-entropy loss"):
        TaskConfig("cross_encoder", "bce", label_smoothing=0.1).validate("para")


def test_a_teachers_share_falls_from_one_to_zero_over_the_run() -> None:
    teacher = TeacherTargets("sst", ["a", "b"], [[0.2, 0.2, 0.2, 0.2, 0.2], [1, 0, 0, 0, 0]], 10)
    labels = torch.tensor([4, 0])
    first = teacher.targets(labels, ["a", "b"], 0)
    assert first[0].tolist() == pytest.approx([0.2] * 5)  # the teacher alone at step 0
    middle = teacher.targets(labels, ["a", "b"], 5)
    assert middle[0].tolist() == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.6])
    stsish = TeacherTargets("sts", ["a"], [4.0], 4)
    assert stsish.targets(torch.tensor([2.0]), ["a"], 2).tolist() == [3.0]


def test_a_private_top_layer_is_sst_s_alone(data_dir: Path) -> None:
    config = dataclasses.replace(RECIPE, private_top_layer="sst").resolved()
    model = build(config, data_dir).model
    top = model.encoder.encoder.layer[-1]
    private = model.private_tops["sst"]
    assert torch.equal(private.output.dense.weight, top.output.dense.weight)  # the checkpoint's
    assert private.output.dense.weight is not top.output.dense.weight
    shared = {name for name, _ in model.shared_parameters()}
    assert not any(name.startswith("private_tops.") for name in shared)
    groups = param_groups(model, config)
    rate = {id(p): g["lr"] for g in groups for p in g["params"]}
    assert rate[id(private.output.dense.weight)] == rate[id(top.output.dense.weight)]


@pytest.mark.slow
def test_each_lever_trains_and_changes_the_key(data_dir: Path, tmp_path: Path) -> None:
    screen = lever_screen("smoke", precision="fp32")
    keys = {json_key(c) for c in screen.values()}
    assert len(keys) == len(screen)  # every lever is its own run
    results = {label: run_or_load(config, data_dir=data_dir, runs_dir=tmp_path, progress=False)
               for label, config in screen.items()}
    for label, result in results.items():
        assert math.isfinite(result["metrics"]["score"]), label
    # the distilling runs trained their teachers first, and those kept their training outputs
    store = RunStore(data_dir, tmp_path)
    for task, teacher in teacher_configs(screen["with teacher annealing, all tasks"]).items():
        stored = store.load(teacher)
        outputs = stored["train_outputs"][task]
        assert outputs["examples"] == len(outputs["outputs"]) == 32  # smoke: 32 per task
        assert outputs["split_sha256"] == load_manifest(data_dir)["splits"][f"{task}-train"][
            "sha256"]
        if task == "sst":
            assert np.allclose(np.sum(outputs["outputs"], axis=1), 1, atol=1e-5)


def json_key(config: RunConfig) -> str:
    import json

    return json.dumps(key_form(config), sort_keys=True)


def test_runs_store_sst_probabilities_and_the_committed_form_keeps_them(
        smoke_result: dict) -> None:
    sst = smoke_result["predictions"]["sst"]
    probabilities = np.asarray(sst["probabilities"])
    assert probabilities.shape == (len(sst["ids"]), 5)
    assert np.allclose(probabilities.sum(1), 1, atol=1e-5)
    assert (probabilities.argmax(1) == np.asarray(sst["predictions"])).all()
    slim = as_committed(smoke_result)["predictions"]["sst"]["probabilities"]
    assert np.allclose(slim, probabilities, atol=1e-4)


def test_an_ensemble_averages_the_runs_outputs(smoke_result: dict) -> None:
    alone = ensemble([smoke_result])
    assert alone["metrics"]["sst_acc"] == pytest.approx(smoke_result["metrics"]["sst_acc"])
    other = {**smoke_result, "predictions": dict(smoke_result["predictions"])}
    sst = dict(other["predictions"]["sst"])
    sst["probabilities"] = np.roll(np.asarray(sst["probabilities"]), 1, axis=1).tolist()
    other["predictions"]["sst"] = sst
    both = ensemble([smoke_result, other])
    mean = (np.asarray(smoke_result["predictions"]["sst"]["probabilities"])
            + np.asarray(sst["probabilities"])) / 2
    labels = np.asarray(sst["labels"], float)
    assert both["metrics"]["sst_acc"] == pytest.approx(
        task_metric("sst", mean.argmax(1).astype(float), labels))
    without = {**smoke_result, "predictions": {"sst": {k: v for k, v in sst.items()
                                                       if k != "probabilities"}}}
    with pytest.raises(ValueError, match="no stored class probabilities"):
        ensemble([without])


def test_distilling_needs_losses_that_take_soft_targets() -> None:
    tasks = {**RECIPE.tasks, "para": TaskConfig("siamese_concat_diff", "mnr")}
    with pytest.raises(ValueError, match="a teacher's soft targets fit"):
        dataclasses.replace(RECIPE, tasks=tasks, distill="all")
    with pytest.raises(ValueError, match="distill='sst' is not valid here"):
        dataclasses.replace(SST_ALONE, distill="sst", train_outputs=False)


def test_a_teacher_trained_on_other_data_is_refused(data_dir: Path) -> None:
    from minbert_lab.training.loop import attach_teachers

    config = dataclasses.replace(RECIPE, distill="sst").resolved()
    trainee = build(config, data_dir)
    manifest = load_manifest(data_dir)
    split = manifest["splits"]["sst-train"]["sha256"]
    good = {"sst": {"split_sha256": split, "examples": 32, "outputs": [[0.2] * 5] * 32}}
    attach_teachers(trainee, good, 10, manifest)
    assert trainee.teachers["sst"].outputs.shape == (32, 5)
    with pytest.raises(ValueError, match="trained on other data"):
        attach_teachers(trainee, {"sst": {**good["sst"], "split_sha256": "0" * 64}}, 10,
                        manifest)
    with pytest.raises(ValueError, match="needs a teacher for sst"):
        attach_teachers(trainee, {}, 10, manifest)
