"""Data-parallel training (torchrun, gloo on CPU) gives the one-process run's numbers, and a
rank killed mid-run ends the job with an error; the rerun resumes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from minbert_lab.data.batch import Batch, Encoded
from minbert_lab.training.distributed import World, global_mean, select_rows, shard

SCRIPT = Path(__file__).with_name("ddp_run.py")


def _batch(form: str, n: int = 5) -> Batch:
    rows = {"siamese": 2, "hybrid": 3}.get(form, 1) * n
    ids = torch.arange(rows * 4).view(rows, 4)
    mask = torch.ones(rows, 4, dtype=torch.int64)
    mask[:, 3] = 0  # the last column is padding everywhere
    return Batch("sts", form, Encoded(ids, mask, torch.zeros_like(ids)),
                 torch.arange(n, dtype=torch.float32), [f"id{i}" for i in range(n)])


def test_ranks_split_a_global_batch_and_scale_to_its_mean() -> None:
    batch = _batch("cross")
    parts = [shard(batch, World(rank=r, size=2)) for r in range(2)]
    assert [p.ids for p, _ in parts] == [["id0", "id2", "id4"], ["id1", "id3"]]
    assert [scale for _, scale in parts] == [3 * 2 / 5, 2 * 2 / 5]
    # DDP averages the ranks: sum_r scale_r * mean_r / 2 is the global mean.
    means = [p.labels.mean().item() for p, _ in parts]
    assert sum(s * m for (_, s), m in zip(parts, means)) / 2 == pytest.approx(2.0)
    assert parts[0][0].inputs.input_ids.shape == (3, 3)  # padding trimmed
    assert shard(batch, World()) == (batch, 1.0)


def test_siamese_rows_keep_their_pairs_and_an_empty_shard_trains_nothing() -> None:
    batch = _batch("siamese", n=3)
    part = select_rows(batch, [1])
    assert part.inputs.input_ids[:, 0].tolist() == [4, 16]  # sentence a of pair 1, then b
    lonely, scale = shard(_batch("single", n=1), World(rank=1, size=2))
    assert scale == 0.0 and lonely.size == 1
    assert global_mean(0.5, 3, World(), torch.device("cpu")) == 0.5


def _run(args: list[str], *, ranks: int, data_dir: Path, out: Path,
         extra: list[str] = ()) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone",
                 f"--nproc_per_node={ranks}", *extra] if ranks > 1 else [sys.executable])
    return subprocess.run([*launcher, str(SCRIPT), str(data_dir), str(out), *args], env=env,
                          capture_output=True, text=True, timeout=600)


def _losses(out: Path) -> list[float]:
    return [s["loss"] for s in json.loads(out.read_text())["history"]["steps"]]


@pytest.mark.slow
def test_two_ranks_equal_one_process_with_the_same_global_batch(data_dir: Path,
                                                                tmp_path: Path) -> None:
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    for ranks, out in ((1, one), (2, two)):
        done = _run(["--sgd"], ranks=ranks, data_dir=data_dir, out=out)
        assert done.returncode == 0, done.stderr[-3000:]
    assert _losses(two) == pytest.approx(_losses(one), abs=1e-5)
    metrics_one, metrics_two = (json.loads(p.read_text())["metrics"] for p in (one, two))
    assert metrics_two == pytest.approx(metrics_one, abs=1e-5)


@pytest.mark.slow
def test_a_killed_rank_ends_the_job_and_the_rerun_resumes(data_dir: Path,
                                                          tmp_path: Path) -> None:
    runs, out = tmp_path / "runs", tmp_path / "out.json"
    killed = _run(["--runs-dir", str(runs), "--kill-rank", "1", "--kill-at-step", "4"],
                  ranks=2, data_dir=data_dir, out=out, extra=["--max-restarts=0"])
    assert killed.returncode != 0 and not out.exists()
    assert "SIGKILL" in killed.stderr or "Signal 9" in killed.stderr, killed.stderr[-3000:]
    assert list(runs.glob("*/*.resume"))  # rank 0 saved a resume state before the kill
    rerun = _run(["--runs-dir", str(runs)], ranks=2, data_dir=data_dir, out=out)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["resumed_at_steps"] and result["resumed_at_steps"][0] >= 3
    reference = tmp_path / "reference.json"
    assert _run([], ranks=2, data_dir=data_dir, out=reference).returncode == 0
    assert _losses(out) == pytest.approx(_losses(reference), abs=1e-5)


def test_hybrid_rows_keep_the_pair_and_both_sentences() -> None:
    batch = _batch("hybrid", n=2)  # 6 rows: 2 pairs, then 2 first sentences, then 2 second
    assert select_rows(batch, [1]).inputs.input_ids[:, 0].tolist() == [4, 12, 20]


@pytest.mark.slow
def test_torchrun_prints_one_strict_json_document(data_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "minbert_lab", "--data-dir", str(data_dir), "run", "--profile", "smoke",
         "--tasks", "sst,sts", "--runs-dir", str(tmp_path / "runs")],
        env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    def no_constants(name: str):
        raise AssertionError(f"{name} is not JSON")

    result = json.loads(done.stdout, parse_constant=no_constants)  # one document, nothing else
    assert 0 < result["metrics"]["score"] <= 1
