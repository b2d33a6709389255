"""Any set of configs, or any paper grid, over several seeds: results per label, per seed.

A seed decides the head initialisation, the batch order and dropout, so one run per config
mixes the config's effect with luck. ``run_seeds`` runs (or loads from the cache) every config
once per seed and keeps the results in seed order, paired across labels: the ``k``-th result
of every label used the same seed, which is what ``stats.significance`` needs.

Example:
    >>> results = run_seeds({"plain": plain, "weighted": weighted}, seeds=[0, 1, 2])
    >>> [r["config"]["seed"] for r in results["plain"]]
    [0, 1, 2]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

from tqdm.auto import tqdm

from minbert_lab.config import RunConfig
from minbert_lab.data.splits import DATA_DIR
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.fanout import Executor, fan_out
from minbert_lab.experiments.store import RUNS_DIR, RunStore


def with_seed(config: RunConfig, seed: int) -> RunConfig:
    """``config`` with another seed (validated like any config)."""
    return dataclasses.replace(config, seed=seed)


def seeded_configs(configs: Mapping[str, RunConfig],
                   seeds: Iterable[int]) -> dict[str, list[RunConfig]]:
    """Every config once per seed, by label, in seed order.

    Raises:
        ValueError: no seeds, or a seed given twice (two "seeds" would be one run).
    """
    seeds = list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds={seeds!r} is not valid; give distinct integers >= 0")
    return {label: [with_seed(config, s) for s in seeds] for label, config in configs.items()}


def run_seeds(configs: Mapping[str, RunConfig], seeds: Iterable[int], *,
              data_dir: Path | str = DATA_DIR, runs_dir: Path | str = RUNS_DIR,
              progress: bool = True, device: str | None = None,
              executor: Executor | None = None,
              stored_only: bool = False) -> dict[str, list[dict]]:
    """Runs or loads each config once per seed.

    ``stored_only`` trains nothing: a seed with no stored result (committed or cached) is left
    out of its label's list, so labels may hold different numbers of seeds.

    With an ``executor`` (``experiments.fanout``), the runs not yet stored are trained as
    submitit jobs first (labelled ``"<label>, seed <n>"``), then every result is read from the
    cache (``cached`` is False for the runs those jobs trained); ``None`` trains them here, one
    after another.

    Returns:
        label -> the results (as ``run_or_load`` returns them), in the order of ``seeds``.
    """
    planned = seeded_configs(configs, seeds)
    if stored_only:
        store = RunStore(data_dir, runs_dir)
        return {label: [result for config in runs
                        if (result := store.load(config)) is not None]
                for label, runs in planned.items()}
    trained = fan_out({_seeded(label, c): c for label, runs in planned.items() for c in runs},
                      executor, data_dir=data_dir, runs_dir=runs_dir, device=device,
                      progress=progress)
    total = sum(len(runs) for runs in planned.values())
    bar = tqdm(total=total, desc="runs", disable=not progress, unit="run")
    results: dict[str, list[dict]] = {}
    for label, runs in planned.items():
        results[label] = []
        for config in runs:
            bar.set_postfix_str(f"{label}, seed {config.seed}")
            done = sum(map(len, results.values()))
            result = run_or_load(config, data_dir=data_dir, runs_dir=runs_dir,
                                 progress=progress, device=device,
                                 label=f"run {done + 1}/{total} ({label}, seed {config.seed})")
            if _seeded(label, config) in trained:
                result = {**result, "cached": False}
            results[label].append(result)
            bar.update()
    bar.close()
    return results


def _seeded(label: str, config: RunConfig) -> str:
    return f"{label}, seed {config.seed}"
