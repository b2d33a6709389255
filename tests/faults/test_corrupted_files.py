"""Corrupted cache and checkpoint files: detected by their checksum, warned about, recomputed.

Damage is injected byte by byte (every truncation and every single-bit flip of a result file;
seeded samples of them for a checkpoint) and end to end (a damaged file under ``runs/``).
"""

from __future__ import annotations

import json
import random
import shutil
import warnings
from pathlib import Path

import pytest
import torch
from faulty_run import FAULT_CONFIG, RESUME_EVERY, same_run
from torch import nn

from minbert_lab.config import RunConfig
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.store import RunStore, load_result, resume_path, save_result
from minbert_lab.training.resume import (
    MAGIC,
    DamagedResumeStateError,
    ResumeFile,
    RunProgress,
    read_resume_state,
    write_resume_state,
)

SMALL_RESULT = {"metrics": {"sst_acc": 0.5, "score": 0.5, "epoch": 0},
                "history": {"steps": [{"step": 0, "task": "sst", "loss": 1.6}]}}
CONFIG = RunConfig(profile="smoke").resolved()


def test_every_truncation_and_bit_flip_of_a_result_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    save_result(path, SMALL_RESULT)
    good = path.read_bytes()
    assert load_result(path) == SMALL_RESULT  # the undamaged file loads
    damaged = [good[:n] for n in range(len(good))]
    damaged += [_flip(good, bit) for bit in range(8 * len(good))]
    # One open file rewritten in place: opening for each of ~2,000 variants is what is slow.
    with warnings.catch_warnings(record=True) as caught, open(path, "r+b") as f:
        warnings.simplefilter("always")
        for count, data in enumerate(damaged, start=1):
            f.seek(0)
            f.write(data)
            f.truncate()
            f.flush()
            assert load_result(path) is None, data
            assert len(caught) == count and "damaged" in str(caught[-1].message)
    assert len(damaged) > 1000


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def _tiny_run(tmp_path: Path) -> tuple[Path, nn.Module, dict]:
    """A real checkpoint of a tiny model after one optimizer step; returns its saved weights."""
    torch.manual_seed(0)
    model = nn.Linear(8, 3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    path = tmp_path / "run.resume"
    checkpoints = ResumeFile(path, CONFIG, every=1)
    run = checkpoints.start(model, optimizer)
    model(torch.randn(4, 8)).sum().backward()
    optimizer.step()
    run.step = 1
    checkpoints.save(run, epoch=0, position=1)
    return path, model, {k: v.clone() for k, v in model.state_dict().items()}


def _resume_fresh_model(path: Path) -> tuple[RunProgress, nn.Module]:
    torch.manual_seed(1)  # different initial weights from the saved ones
    model = nn.Linear(8, 3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    return ResumeFile(path, CONFIG, every=1).start(model, optimizer), model


def test_an_intact_checkpoint_restores_weights_optimizer_and_rng(tmp_path: Path) -> None:
    path, _, saved = _tiny_run(tmp_path)
    rng = read_resume_state(path)["rng"]["cpu"]
    torch.manual_seed(123)
    run, model = _resume_fresh_model(path)
    assert run.step == 1 and run.resumed_at_steps == [1]
    assert all(torch.equal(model.state_dict()[k], v) for k, v in saved.items())
    assert torch.equal(torch.get_rng_state(), rng)


def _damage_cases(good: bytes) -> dict[str, bytes]:
    rng = random.Random(7)
    body = len(MAGIC) + 65
    cases = {
        "empty": b"",
        "header only": good[:body],
        "half": good[: len(good) // 2],
        "last byte missing": good[:-1],
        "one byte appended": good + b"\0",
        "other magic": b"x" + good[1:],
        "not a checkpoint": b"PK\x03\x04" + good[4:],
    }
    for bit in rng.sample(range(8 * len(MAGIC), 8 * body), 4):  # in the checksum line
        cases[f"header bit {bit}"] = _flip(good, bit)
    for bit in rng.sample(range(8 * body, 8 * len(good)), 12):  # in the payload
        cases[f"payload bit {bit}"] = _flip(good, bit)
    return cases


def test_every_kind_of_checkpoint_damage_is_caught_and_never_loaded(tmp_path: Path) -> None:
    path, _, saved = _tiny_run(tmp_path)
    cases = _damage_cases(path.read_bytes())
    for name, data in cases.items():
        path.write_bytes(data)
        with pytest.raises(DamagedResumeStateError):
            read_resume_state(path)
        with pytest.warns(UserWarning, match="not usable"):
            run, model = _resume_fresh_model(path)
        assert run == RunProgress(), name  # a fresh start, nothing of the damaged file
        assert not torch.equal(model.weight, saved["weight"]), name
    assert len(cases) == 23


@pytest.mark.parametrize("change", ["config", "shapes", "progress", "format"])
def test_a_whole_checkpoint_of_another_run_is_not_loaded(change: str, tmp_path: Path) -> None:
    path, _, saved = _tiny_run(tmp_path)
    payload = read_resume_state(path)
    if change == "config":
        payload["config"] = {**payload["config"], "seed": 1}
    elif change == "shapes":
        payload["model"] = nn.Linear(8, 4).state_dict()
    elif change == "progress":
        payload["progress"]["epoch"] = 7  # past the run's last epoch
    else:
        payload["format"] = 0
    write_resume_state(path, payload)  # a valid checksum: only the content is wrong
    with pytest.warns(UserWarning, match="not usable"):
        run, model = _resume_fresh_model(path)
    assert run == RunProgress() and not torch.equal(model.weight, saved["weight"])


@pytest.mark.slow
def test_damaged_result_in_the_cache_is_recomputed_not_returned(data_dir: Path, tmp_path: Path,
                                                                reference: dict) -> None:
    path = RunStore(data_dir, tmp_path).path(FAULT_CONFIG)
    save_result(path, reference)  # what run_or_load stores after training
    assert run_or_load(FAULT_CONFIG, data_dir=data_dir, runs_dir=tmp_path)["cached"] is True
    stored = json.loads(path.read_text())
    stored["result"]["metrics"]["score"] = 0.99  # an edit that keeps valid JSON
    path.write_text(json.dumps(stored))
    with pytest.warns(UserWarning, match="damaged"):
        again = run_or_load(FAULT_CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False)
    assert again["cached"] is False
    same_run(again, reference)
    assert load_result(path)["metrics"] == reference["metrics"]  # the file is repaired


@pytest.mark.slow
def test_damaged_checkpoint_in_the_cache_restarts_the_run(data_dir: Path, tmp_path: Path,
                                                          reference: dict, interrupt_at) -> None:
    with interrupt_at(4), pytest.raises(KeyboardInterrupt):  # step 4, after step 3's checkpoint
        run_or_load(FAULT_CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False,
                    resume_every=RESUME_EVERY)
    checkpoint = resume_path(RunStore(data_dir, tmp_path).path(FAULT_CONFIG))
    data = checkpoint.read_bytes()
    checkpoint.write_bytes(_flip(data, 8 * (len(data) // 3)))  # one bit inside the weights

    with pytest.warns(UserWarning, match="not usable"):
        result = run_or_load(FAULT_CONFIG, data_dir=data_dir, runs_dir=tmp_path, progress=False,
                             resume_every=RESUME_EVERY)
    assert result["resumed_at_steps"] == []  # started over rather than trust the file
    same_run(result, reference)
    assert not checkpoint.exists()


def test_no_warning_for_a_run_without_a_checkpoint(tmp_path: Path) -> None:
    model = nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(model.parameters())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = ResumeFile(tmp_path / "none.resume", CONFIG).start(model, optimizer)
    assert run == RunProgress()


def test_a_damaged_weights_file_is_one_line_naming_it(data_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    from minbert_lab.checkpoints import resolve_checkpoint
    from minbert_lab.cli import main

    folder = tmp_path / "checkpoint"
    shutil.copytree(resolve_checkpoint("minilm-l6"), folder)
    weights = folder / "model.safetensors"
    with open(weights, "r+b") as f:
        f.truncate(weights.stat().st_size // 2)
    status = main(["--data-dir", str(data_dir), "run", "--profile", "smoke", "--checkpoint",
                   str(folder), "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"python -m minbert_lab: error: {weights} is damaged")


def test_damaged_heads_are_named_too(tmp_path: Path) -> None:
    from minbert_lab.encoder.loading import DamagedWeightsError, read_weights

    heads = tmp_path / "heads.safetensors"
    heads.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}")  # a header that lies
    with pytest.raises(DamagedWeightsError, match="heads.safetensors is damaged"):
        read_weights(heads)
