"""Fan-out over submitit jobs: the same results as a serial run, nothing stored is submitted
again, and a failed job is reported with its label and log while the others' results stay."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import submitit
import torch
from smoke_configs import STS_SMOKE

import minbert_lab.experiments.fanout as fanout
from minbert_lab import cli
from minbert_lab.config import RunConfig
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.extensions import planned_runs, train_planned
from minbert_lab.experiments.fanout import (
    FanOut,
    FanOutError,
    fan_out,
    make_executor,
)
from minbert_lab.experiments.grids import grid_configs
from minbert_lab.experiments.store import RunStore, load_result, save_result
from minbert_lab.experiments.tables import run_grid

STS = STS_SMOKE


class Spy:
    """Counts the jobs an executor is handed, per ``map_array`` call."""

    def __init__(self, executor: submitit.Executor, monkeypatch: pytest.MonkeyPatch):
        self.waves: list[list[str]] = []
        submit = executor.map_array

        def map_array(fn, labels, *rest):
            self.waves.append(list(labels))
            return submit(fn, labels, *rest)

        monkeypatch.setattr(executor, "map_array", map_array)

    @property
    def submitted(self) -> list[str]:
        return [label for wave in self.waves for label in wave]


def fake_run_or_load(config: RunConfig, *, data_dir, runs_dir, **kw) -> dict:
    """Stores a small result where ``run_or_load`` would, without training."""
    if config.checkpoint == "broken":
        raise FileNotFoundError("broken is not a Hugging Face model folder")
    result = {"config": config.to_dict(), "metrics": {"score": 0.5}}
    save_result(RunStore(data_dir, runs_dir).path(config), result)
    return {**result, "cached": False}


@pytest.fixture
def in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[FanOut, Spy]:
    """submitit's debug executor (jobs run in this process, so ``run_or_load`` can be faked),
    two jobs at a time."""
    monkeypatch.setattr(fanout, "run_or_load", fake_run_or_load)
    executor = submitit.AutoExecutor(folder=tmp_path / "submitit", cluster="debug")
    return FanOut(executor, workers=2), Spy(executor, monkeypatch)


def seeds_of(config: RunConfig, n: int) -> dict[str, RunConfig]:
    return {f"seed {s}": dataclasses.replace(config, seed=s) for s in range(n)}


def test_no_executor_submits_nothing(data_dir: Path, tmp_path: Path):
    assert fan_out({"sts": STS}, None, data_dir=data_dir, runs_dir=tmp_path) == []
    assert not tmp_path.joinpath("smoke").exists()


def test_workers_jobs_at_a_time_and_stored_configs_are_not_submitted(data_dir: Path,
                                                                     tmp_path: Path,
                                                                     in_process):
    jobs, spy = in_process
    configs = {**seeds_of(STS, 5), "seed 0 again": STS}  # listed twice, submitted once
    kw = {"data_dir": data_dir, "runs_dir": tmp_path / "runs", "progress": False}
    assert fan_out(configs, jobs, **kw) == [f"seed {s}" for s in range(5)]
    assert spy.waves == [["seed 0", "seed 1"], ["seed 2", "seed 3"], ["seed 4"]]
    assert RunStore(data_dir, tmp_path / "runs").missing(configs) == {}
    assert fan_out(configs, jobs, **kw) == [] and len(spy.waves) == 3  # nothing submitted


def test_a_failed_job_is_named_with_its_log_and_the_others_are_kept(data_dir: Path,
                                                                    tmp_path: Path, in_process):
    jobs, spy = in_process
    configs = {**seeds_of(STS, 3), "broken": dataclasses.replace(STS, checkpoint="broken")}
    kw = {"data_dir": data_dir, "runs_dir": tmp_path / "runs", "progress": False}
    with pytest.raises(FanOutError, match="1 of 4 jobs failed") as failed:
        fan_out(configs, jobs, **kw)
    assert list(failed.value.failures) == ["broken"]
    assert "broken: FileNotFoundError: broken is not" in str(failed.value)
    assert str(failed.value.failures["broken"]) in str(failed.value)
    assert list(RunStore(data_dir, tmp_path / "runs").missing(configs)) == ["broken"]
    with pytest.raises(FanOutError):
        fan_out(configs, jobs, **kw)
    assert spy.waves[-1] == ["broken"]  # the rerun submits only what is missing


def test_notebook_4_fans_out_every_planned_run_once(data_dir: Path, tmp_path: Path,
                                                    in_process):
    jobs, spy = in_process
    planned = planned_runs("smoke", [0, 1])
    unique = {RunStore(data_dir, tmp_path).path(c) for runs in planned.values()
              for c in runs}
    submitted = train_planned(planned, jobs, data_dir=data_dir, runs_dir=tmp_path,
                              progress=False)
    assert len(submitted) == len(unique) and submitted[0] == "gradient surgery #1, seed 0"
    assert sum(len(runs) for runs in planned.values()) > len(unique)  # shared runs: once
    assert train_planned(planned, None, data_dir=data_dir, runs_dir=tmp_path) == []
    assert train_planned(planned, jobs, data_dir=data_dir, runs_dir=tmp_path,
                         progress=False) == []
    assert len(spy.submitted) == len(unique)


def test_make_executor_local(tmp_path: Path):
    jobs = make_executor("local", tmp_path / "jobs", workers=2, cpus_per_job=1, timeout_min=30)
    assert jobs.workers == 2 and jobs.executor.cluster == "local"
    assert jobs.executor.parameters["cpus_per_task"] == 1
    assert jobs.executor.parameters["timeout_min"] == 30
    assert jobs.executor.parameters["gpus_per_node"] == torch.cuda.device_count()
    assert make_executor("local", tmp_path, gpus_per_job=0).executor.parameters[
        "gpus_per_node"] == 0
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no GPU"):
            make_executor("local", tmp_path, gpus_per_job=1)


def test_make_executor_slurm_is_one_array_limited_to_the_workers(tmp_path: Path,
                                                                  monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "srun").write_text("#!/bin/sh\n")
    (fake / "srun").chmod(0o755)  # submitit only checks that srun exists; nothing is submitted
    monkeypatch.setenv("PATH", f"{fake}:{Path('/usr/bin')}:{Path('/bin')}")
    jobs = make_executor("slurm", tmp_path / "jobs", workers=7, partition="gpu",
                         timeout_min=600)
    assert jobs.workers is None  # Slurm limits the array itself
    params = jobs.executor.parameters
    assert (params["array_parallelism"], params["partition"], params["gpus_per_node"],
            params["cpus_per_task"], params["time"]) == (7, "gpu", 1, 4, 600)


@pytest.mark.parametrize("kwargs, field", [({"kind": "ray"}, "executor='ray'"),
                                           ({"workers": 0}, "workers=0"),
                                           ({"gpus_per_job": 2}, "gpus_per_job=2"),
                                           ({"cpus_per_job": 0}, "cpus_per_job=0")])
def test_make_executor_rejects_bad_values(tmp_path: Path, kwargs: dict, field: str):
    kind = kwargs.pop("kind", "local")
    with pytest.raises(ValueError, match=field):
        make_executor(kind, tmp_path, **kwargs)


def test_cli_table_builds_the_executor(tmp_path: Path, monkeypatch, capsys):
    import pandas as pd

    import minbert_lab.experiments.tables as tables

    seen = {}

    def fake_run_grid(name, **kw):
        seen.update(kw)
        return pd.DataFrame({"label": ["row"]})

    monkeypatch.setattr(tables, "run_grid", fake_run_grid)
    assert cli.main(["table", "4", "--profile", "smoke", "--runs-dir", str(tmp_path),
                     "--executor", "local", "--workers", "2", "--cpus-per-job", "1"]) == 0
    jobs = seen["executor"]
    assert jobs.workers == 2 and jobs.executor.parameters["cpus_per_task"] == 1
    assert Path(jobs.executor.folder).parent == tmp_path.resolve()  # <runs-dir>/submitit
    assert cli.main(["table", "4", "--runs-dir", str(tmp_path)]) == 0
    assert seen["executor"] is None  # serial by default
    assert cli.main(["table", "4", "--executor", "local", "--workers", "0"]) == 2
    assert "workers=0 is not valid" in capsys.readouterr().err


@pytest.mark.slow
def test_fanned_out_table_4_equals_the_serial_one(data_dir: Path, tmp_path: Path,
                                                  monkeypatch):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each job: 2 workers x 1 thread
    try:
        serial = run_grid("4", profile="smoke", data_dir=data_dir, runs_dir=tmp_path / "serial",
                          progress=False)
    finally:
        torch.set_num_threads(threads)
    jobs = make_executor("local", tmp_path / "submitit", workers=2, cpus_per_job=1,
                         gpus_per_job=0, timeout_min=30)
    spy = Spy(jobs.executor, monkeypatch)
    fanned = run_grid("4", profile="smoke", data_dir=data_dir, runs_dir=tmp_path / "fanned",
                      progress=False, executor=jobs)
    assert len(spy.submitted) == 7 and max(len(wave) for wave in spy.waves) == 2
    assert not fanned["cached"].any()  # trained by the jobs, then read from the cache
    metrics = [c for c in serial.columns if c.startswith("ours_")] + ["label", "epoch"]
    assert fanned[metrics].equals(serial[metrics])
    for config in grid_configs("4", profile="smoke").values():
        ours = [load_result(RunStore(data_dir, tmp_path / arm).path(config))
                for arm in ("serial", "fanned")]
        assert ours[1]["history"]["steps"] == ours[0]["history"]["steps"]  # per-step losses
        assert ours[1]["metrics"] == ours[0]["metrics"]

    again = run_grid("4", profile="smoke", data_dir=data_dir, runs_dir=tmp_path / "fanned",
                     progress=False, executor=jobs)
    assert len(spy.submitted) == 7 and again["cached"].all()  # trains nothing, submits nothing


@pytest.mark.slow
def test_a_job_that_fails_in_its_process_is_reported_and_the_rest_kept(data_dir: Path,
                                                                        tmp_path: Path):
    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()  # a folder, so the config is valid; loading it fails in the job
    broken = dataclasses.replace(STS, checkpoint=str(not_a_model))
    jobs = make_executor("local", tmp_path / "submitit", workers=2, cpus_per_job=1,
                         gpus_per_job=0, timeout_min=30)
    with pytest.raises(FanOutError) as failed:
        fan_out({"sts": STS, "broken checkpoint": broken}, jobs, data_dir=data_dir,
                runs_dir=tmp_path / "runs", progress=False)
    log = failed.value.failures["broken checkpoint"]
    assert list(failed.value.failures) == ["broken checkpoint"]
    assert "is not a Hugging Face model folder" in str(failed.value) and str(log) in str(
        failed.value)
    assert "is not a Hugging Face model folder" in log.read_text()
    kept = run_or_load(STS, data_dir=data_dir, runs_dir=tmp_path / "runs", progress=False)
    assert kept["cached"] is True  # the other job's result was stored
