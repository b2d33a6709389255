"""Cache keys never move: every config of the study hashes as it did when its results were
first stored, whatever was renamed, regrouped or added since (``store.key_form``).

``stored_key_forms.json`` holds, per grid row and notebook-04 arm in every profile, the hash of
the config as the cache key saw it when the results were made (written by the code of commit
2bc365c, before heads, losses and the ordering knobs were renamed and regrouped)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from minbert_lab.config import Ordering, RunConfig, TaskConfig
from minbert_lab.experiments import extensions
from minbert_lab.experiments.grids import GRIDS
from minbert_lab.experiments.store import key_form
from minbert_lab.profiles import PROFILES

STORED = json.loads((Path(__file__).parent / "stored_key_forms.json").read_text())


def _hash(config: RunConfig) -> str:
    return hashlib.sha256(json.dumps(key_form(config), sort_keys=True).encode()).hexdigest()[:16]


def _current() -> dict[str, str]:
    out = {}
    for profile in PROFILES:
        for name, grid in GRIDS.items():
            for row in grid(profile=profile):
                out[f"{profile} | table {name} | {row.label}"] = _hash(row.config)
        for arms in ("surgery_arms", "class_balance_arms"):
            for label, config in getattr(extensions, arms)(profile, seed=1).items():
                out[f"{profile} | {arms} seed 1 | {label}"] = _hash(config)
    return out


def test_every_study_config_keeps_its_stored_key() -> None:
    current = _current()
    assert set(STORED) <= set(current)
    moved = {label for label, digest in STORED.items() if current[label] != digest}
    assert not moved


@pytest.mark.parametrize("change", [
    {"ordering": Ordering("weighted", task="sst", weight=3.0)},
    {"seed": 1},
    {"tasks": {"sst": TaskConfig("linear", "cross_entropy", sampler="balanced")}},
    {"conflict_probes": 2, "tasks": {"sst": TaskConfig("linear", "cross_entropy"),
                                     "sts": TaskConfig("cross_encoder", "mse")}},
])
def test_a_changed_setting_changes_the_key(change: dict) -> None:
    base = RunConfig(profile="smoke")
    assert _hash(dataclasses.replace(base, **change)) != _hash(base)


def test_aliases_and_full_names_share_a_key() -> None:
    short = RunConfig(tasks={"para": TaskConfig("CE", "bce")}, profile="smoke")
    full = RunConfig(tasks={"para": TaskConfig("cross_encoder", "bce")}, profile="smoke")
    assert short == full and _hash(short) == _hash(full)
