from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from facts import says

from minbert_lab.cli import (
    COMMANDS,
    main,
)
from minbert_lab.config import (
    HEAD_ALIASES,
    HEAD_LABELS,
    HEADS,
    LOSS_ALIASES,
    LOSS_LABELS,
    LOSSES,
    ORDERINGS,
    PAIR_HEADS,
    REGULARIZERS,
    SAMPLERS,
)
from minbert_lab.files import _umask

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "--tasks", "sst,nli"], "--tasks: 'nli'"),
    (["run", "--tasks", "sst", "--loss", "sst=mnr"], "tasks.sst.loss='mnr'"),
    (["run", "--tasks", "para", "--head", "para=CE", "--loss", "para=cos_emb"],
     "cosine_embedding"),
    (["run", "--reg", "sst"], "--reg 'sst'"),
    (["run", "--epochs", "0"], "epochs=0"),
    (["run", "--dropout", "2"], "dropout=2.0"),
    (["run", "--tasks", "sst,para", "--surgery", "pcgrad"], "gradient_surgery='pcgrad'"),
    (["run", "--tasks", "sts", "--sampler", "sts=balanced"], "tasks.sts.sampler='balanced'"),
])
def test_bad_run_arguments_get_usage_not_traceback(argv, message, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "usage:" in err and message in err and "Traceback" not in err


def test_unknown_command_and_choice_exit_2(capsys) -> None:
    for argv in (["bogus"], ["table", "9"], ["run", "--ordering", "random"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_missing_data_is_a_clear_error(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("MAKELEVEL", raising=False)
    assert main(["--data-dir", str(tmp_path), "run", "--profile", "smoke"]) == 1
    assert "python -m minbert_lab data prepare --source" in capsys.readouterr().err
    monkeypatch.setenv("MAKELEVEL", "1")  # under make, the make target and variable
    assert main(["--data-dir", str(tmp_path), "run", "--profile", "smoke"]) == 1
    assert "make data DATA_SOURCE=" in capsys.readouterr().err


def _help(argv: list[str], capsys, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", "80")  # what a plain terminal shows, whatever runs the tests
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def test_run_help_names_every_value_the_config_accepts(capsys, monkeypatch) -> None:
    shown = _help(["run"], capsys, monkeypatch)
    names = [*(h for heads in HEADS.values() for h in heads), *HEAD_LABELS.values(),
             *HEAD_ALIASES, *(loss for losses in LOSSES.values() for loss in losses),
             *LOSS_LABELS, *LOSS_LABELS.values(), *LOSS_ALIASES, *REGULARIZERS, *ORDERINGS,
             *SAMPLERS]
    missing = [n for n in names if not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", shown)]
    assert not missing, missing
    assert "--head para=CE" in shown and "--loss sts=cos_emb" in shown


@pytest.mark.parametrize(("argv", "facts"), [
    # the field and the value given, the valid values, the paper's labels for them
    (["--tasks", "sts", "--head", "sts=linear"],
     ["tasks.sts.head='linear'", str(list(PAIR_HEADS)), *(HEAD_LABELS[h] for h in PAIR_HEADS)]),
    (["--tasks", "para", "--head", "para=CE", "--loss", "para=MNR"],
     ["tasks.para.loss='mnr'", "['bce']", "BCE"]),
    (["--tasks", "sts", "--head", "sts=S-CD", "--loss", "sts=cosine embedding"],
     ["tasks.sts.loss='cosine_embedding'", "['mse']"]),
    (["--loss", "sst=mse"],
     ["tasks.sst.loss='mse'", "['cross_entropy', 'weighted_cross_entropy']"]),
])
def test_a_head_or_loss_that_does_not_fit_gets_runs_usage_and_the_valid_values(
        argv, facts, capsys, monkeypatch) -> None:
    import minbert_lab.experiments.cache as cache

    monkeypatch.setattr(cache, "run_or_load", lambda *a, **k: pytest.fail("it trained"))
    assert main(["run", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m minbert_lab run ")  # the run command's usage
    says(err, *facts)


def test_top_help_and_the_readme_list_every_command(capsys, monkeypatch) -> None:
    shown = _help([], capsys, monkeypatch)
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("### Command line"):]
    section = section[:section.index("\n### ", 1)]
    for name, line in COMMANDS.items():
        assert re.search(rf"^    {name} +{re.escape(line)}$", shown, re.M), name
        assert re.search(rf"^  {name} +{re.escape(line)}$", section, re.M), name


def test_data_dir_is_read_after_the_command_too(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("MAKELEVEL", raising=False)
    assert main(["run", "--data-dir", str(tmp_path), "--profile", "smoke"]) == 1
    assert f"{tmp_path / 'manifest.json'} not found" in capsys.readouterr().err


@pytest.mark.slow
def test_run_prints_its_result_json_alone_on_stdout(data_dir: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "minbert_lab", "--data-dir", str(data_dir), "run",
         "--profile", "smoke", "--runs-dir", str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"},
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # `run ... | jq .metrics` works
    assert set(result) == {"metrics", "cached", "timings", "data"} and not result["cached"]
    assert "epoch 1/1: sst_acc" in done.stderr  # the epoch summary, with the progress bars
    assert result["metrics"]["epoch"] == 1  # the best epoch, counted as the terminal counts it
    saved = next((tmp_path / "smoke").glob("*.json"))
    assert oct(saved.stat().st_mode & 0o777) == oct(0o666 & ~_umask())  # not mkstemp's 0600
    assert not list((tmp_path / "smoke").glob("*.lock"))  # no empty lock left behind


def test_every_command_has_a_handler() -> None:
    from minbert_lab.cli import COMMANDS, HANDLERS

    assert set(HANDLERS) == set(COMMANDS)
