from __future__ import annotations

import pytest

from minbert_lab.cli import main


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


def test_missing_data_is_a_clear_error(tmp_path, capsys) -> None:
    assert main(["--data-dir", str(tmp_path), "run", "--profile", "smoke"]) == 1
    assert "data prepare" in capsys.readouterr().err


def test_surgery_and_sampler_flags_build_the_config() -> None:
    from minbert_lab.cli import build_parser, config_from_args

    args = build_parser().parse_args([
        "run", "--tasks", "sst,para,sts", "--ordering", "round_robin", "--tasks-per-step", "all",
        "--surgery", "pcgrad", "--conflict-probes", "5", "--sampler", "sst=balanced"])
    config = config_from_args(args)
    assert (config.tasks_per_step, config.gradient_surgery, config.conflict_probes) == (
        "all", "pcgrad", 5)
    assert config.tasks["sst"].sampler == "balanced"
    assert config.tasks["para"].sampler == "uniform"
