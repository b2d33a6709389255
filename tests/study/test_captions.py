"""Every committed table (all-data and quick) says what produced it, and each that shows a
Quora number (Quora accuracy, or a score that averages it in) carries the checkpoint's Quora
caveat under it: all-MiniLM-L6-v2 was trained on Quora duplicates before any fine-tuning here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT, quora_caveat
from minbert_lab.experiments.recipe import recipe_config
from minbert_lab.profiles import PROFILES
from minbert_lab.study.section import Section
from minbert_lab.study.settings import StudySettings, committed_figures, repo_root

TABLES = [(profile, path) for profile in ("all-data", "quick")
          for path in sorted(committed_figures(repo_root(Path(__file__)), profile).glob("*.md"))]


def _table_and_caption(path: Path) -> tuple[str, str]:
    lines = path.read_text().strip().splitlines()
    table = [line for line in lines if line.startswith("|")]
    return "\n".join(table), "\n".join(line for line in lines if not line.startswith("|"))


@pytest.mark.parametrize(("profile", "path"), TABLES,
                         ids=[f"{profile}/{path.name}" for profile, path in TABLES])
def test_every_committed_table_names_its_profile_and_its_quora_caveat(profile: str,
                                                                      path: Path) -> None:
    table, caption = _table_and_caption(path)
    assert f"{profile} profile" in caption, f"{path.name}: no provenance under the table"
    if "para" in table or "score" in table:
        assert quora_caveat(DEFAULT_CHECKPOINT) in caption, f"{path.name}: no Quora caveat"


def test_a_table_saved_without_a_caption_gets_the_study_provenance(tmp_path: Path) -> None:
    study = StudySettings.from_env(profile="smoke", seeds=[0], root=tmp_path)
    Section(tables=[("bare", pd.DataFrame({"score": [0.5]}))]).save(study)
    _, caption = _table_and_caption(study.figures_dir / "bare.md")
    assert "smoke profile" in caption and quora_caveat(DEFAULT_CHECKPOINT) in caption


@pytest.mark.parametrize("name", ["recipe.md", "one-against-three.md"])
def test_the_recipe_tables_say_its_epochs_beside_the_profiles(name: str) -> None:
    """The recipe trains more epochs than the profile's default, which every caption names."""
    path = committed_figures(repo_root(Path(__file__)), "all-data") / name
    _, caption = _table_and_caption(path)
    recipe, default = recipe_config("all-data").epochs, PROFILES["all-data"].epochs
    assert recipe != default  # else the note would say nothing
    assert f"the recipe, alone or on one task at a time, {recipe}" in caption
    assert f"by default {default} epochs" in caption
