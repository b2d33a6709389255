from __future__ import annotations

from pathlib import Path

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.study.banner import banner
from minbert_lab.study.settings import StudySettings


def test_banner_names_profile_checkpoint_and_split(data_dir: Path, tmp_path: Path,
                                                   monkeypatch):
    monkeypatch.setenv("MINBERT_DATA_DIR", str(data_dir))
    text = banner(StudySettings.from_env(profile="smoke", root=tmp_path))
    assert "profile `smoke`" in text and f"checkpoint `{DEFAULT_CHECKPOINT}`" in text
    assert "⚠" in text and "meaningless" in text
    assert "carved from quora-dev.csv" in text
    assert "bert-base-uncased" in text  # the paper's checkpoint, for contrast


def test_banner_names_the_checkpoint_the_notebook_uses(data_dir: Path, tmp_path: Path,
                                                       monkeypatch):
    monkeypatch.setenv("MINBERT_DATA_DIR", str(data_dir))
    text = banner(StudySettings.from_env(profile="quick", checkpoint="/models/other",
                                         root=tmp_path))
    assert "checkpoint `/models/other`" in text and "⚠" not in text
