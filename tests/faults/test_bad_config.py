"""Bad configuration: a ValueError naming the field and its valid values, before any training."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest
from smoke_configs import SST_SMOKE

import minbert_lab.training.trainee as trainee
from minbert_lab.cli import main
from minbert_lab.config import Ordering, RunConfig, TaskConfig, default_task
from minbert_lab.experiments.cache import run_or_load

SST = {"sst": default_task("sst")}
PAIRS = {"para": default_task("para"), "sts": default_task("sts")}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"tasks": {"sst": TaskConfig("CE", "ce")}}, r"tasks.sst.head='cross_encoder'.*\['linear'\]"),
    ({"tasks": {"para": TaskConfig("S-CD", "mse")}}, r"tasks.para.loss='mse'.*\['bce', 'mnr'\]"),
    ({"ordering": "alphabetical"}, r"ordering='alphabetical'.*'shuffled'.*'round_robin'"),
    ({"lr": -1e-5}, r"lr=-1e-05 .*finite number > 0"),
    ({"lr": math.nan}, r"lr=nan .*finite number > 0"),
    ({"lr": math.inf}, r"lr=inf .*finite number > 0"),
    ({"weight_decay": -0.01}, r"weight_decay=-0.01 .*>= 0"),
    ({"grad_clip": -1.0}, r"grad_clip=-1.0 .*>= 0"),
    ({"bregman_weight": math.nan}, r"bregman_weight=nan"),
    ({"tasks": {"sst": TaskConfig("linear", "ce", "smart", -3.0)}}, r"tasks.sst.reg_weight=-3.0"),
    ({"tasks": {"sst": TaskConfig("linear", "ce", task_weight=0.0)}},
     r"tasks.sst.task_weight=0.0 .*> 0"),
    ({"epochs": 0}, r"epochs=0 .*integer >= 1"),
    ({"epochs": True}, r"epochs=True .*integer >= 1"),
    ({"batch_size": 2.5}, r"batch_size=2.5 .*integer >= 1"),
    ({"dropout": "0.1"}, r"dropout='0.1' .*number"),
    ({"dropout": math.nan}, r"dropout=nan"),
    ({"dropout": 1.0}, r"dropout=1.0 .*\[0, 1\)"),
    ({"shared_trunk": "yes"}, r"shared_trunk='yes' .*\[True, False\]"),
    ({"bucket_by_length": 1}, r"bucket_by_length=1 .*\[True, False\]"),
    ({"seed": True}, r"seed=True .*integer >= 0"),
    ({"tasks": PAIRS, "ordering": "weighted"}, r"ordering.task='sst' .*\['para', 'sts'\]"),
    ({"ordering": Ordering("proportional", temperature=math.inf)},
     r"ordering.temperature=inf"),
])
def test_invalid_run_configs_name_the_field_and_valid_values(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RunConfig(**kwargs)


@pytest.mark.parametrize(("tasks", "message"), [
    ({"sst": {"head": "linear"}}, r"tasks.sst=.*give head and loss, and optionally \['regu"),
    ({"sst": {"head": "linear", "loss": "ce", "momentum": 0.9}}, r"tasks.sst=.*'momentum'"),
    ({"sst": ["linear", "ce"]}, r"tasks.sst=\['linear', 'ce'\] is not valid"),
])
def test_invalid_stored_configs_are_value_errors(tasks: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RunConfig.from_dict({**RunConfig().to_dict(), "tasks": tasks})


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any model build or training step fails the test: errors must come before them."""
    def fail(*args, **kwargs):
        raise AssertionError("training started despite an invalid configuration")

    monkeypatch.setattr(trainee.MinBert, "from_pretrained", fail)
    monkeypatch.setattr(trainee.Trainee, "loss", fail)


@pytest.mark.parametrize("every", [0, -5, 2.5, "10", True])
def test_invalid_resume_every_is_caught_before_training(every, data_dir: Path,
                                                            tmp_path: Path, no_training) -> None:
    with pytest.raises(ValueError, match=rf"resume_every={every!r} .*integer >= 1"):
        run_or_load(SST_SMOKE, data_dir=data_dir, runs_dir=tmp_path, resume_every=every)


def test_a_task_missing_from_the_data_is_caught_before_training(data_dir: Path, tmp_path: Path,
                                                                no_training) -> None:
    partial = tmp_path / "data"
    shutil.copytree(data_dir, partial, ignore=shutil.ignore_patterns("raw"))
    manifest = json.loads((partial / "manifest.json").read_text())
    manifest["splits"] = {k: v for k, v in manifest["splits"].items() if not k.startswith("para")}
    (partial / "manifest.json").write_text(json.dumps(manifest))
    config = RunConfig(tasks={**SST, "para": default_task("para")}, profile="smoke")
    with pytest.raises(ValueError, match=r"tasks='para' is not valid .* prepared tasks "
                                         r"\['sst', 'sts'\]"):
        run_or_load(config, data_dir=partial, runs_dir=tmp_path / "runs")


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "--reg", "sst=smart:abc"], r"--reg sst=...:'abc' is not valid"),
    (["run", "--lr", "nan"], r"lr=nan is not valid"),
    (["run", "--lr", "-0.1"], r"lr=-0.1 is not valid"),
    (["run", "--batch-size", "0"], r"batch_size=0 is not valid"),
    (["run", "--tasks", ""], r"tasks=\{\} is not valid"),
    (["run", "--head", "sst=CE"], r"tasks.sst.head='cross_encoder'.*\['linear'\]"),
    (["run", "--seed", "-1"], r"seed=-1 is not valid"),
])
def test_bad_cli_arguments_are_usage_errors_before_training(
        argv: list[str], message: str, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    import minbert_lab.experiments.cache as cache

    monkeypatch.setattr(cache, "run_or_load", lambda *a, **k: pytest.fail("it trained"))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "Traceback" not in err
    assert re.search(message, err), err


@pytest.mark.parametrize(("argv", "named"), [
    (["run", "--ordering", "alphabetical"], "--ordering"),
    (["run", "--precision", "fp16"], "--precision"),
    (["run", "--profile", "huge"], "--profile"),
    (["run", "--epochs", "two"], "--epochs"),
])
def test_bad_cli_choices_name_the_argument_and_choices(argv: list[str], named: str,
                                                       capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {named}: invalid" in err
