"""``make study``: until the notebooks land, a short single-task SST fine-tune of the bundled
checkpoint that prints its dev accuracy."""

from __future__ import annotations

from pathlib import Path

from minbert_lab.config import RunConfig, default_task
from minbert_lab.data.splits import load_manifest, split_note
from minbert_lab.experiments.cache import run_or_load


def run_study(profile: str = "quick", data_dir: Path | str = "data") -> int:
    config = RunConfig(tasks={"sst": default_task("sst")}, profile=profile)
    print(f"minBERT Lab study — profile {profile}, checkpoint {config.checkpoint}; "
          f"data: {split_note(load_manifest(data_dir))}")
    result = run_or_load(config, data_dir=data_dir)
    m = result["metrics"]
    seconds = result["timings"]["train_seconds"]
    print(f"SST-5 dev accuracy: {m['sst_acc']:.3f} (best epoch {m['epoch'] + 1}; "
          f"{result['data']['dev_examples']['sst']} dev sentences; trained {seconds:.0f} s"
          f"{', loaded from cache' if result['cached'] else ''})")
    return 0
