from __future__ import annotations

from pathlib import Path

from minbert_lab.analysis.banner import banner, likely_reasons, profile_caveat
from minbert_lab.analysis.settings import StudySettings


def test_caveats_say_what_each_profile_is_worth():
    assert "meaningless" in profile_caveat("smoke")
    quick = profile_caveat("quick")
    assert "on a CPU" in quick and "small runs" in quick
    assert "all training and dev examples" in profile_caveat("full")


def test_banner_names_profile_checkpoint_and_split(data_dir: Path, tmp_path: Path,
                                                   monkeypatch):
    monkeypatch.setenv("MINBERT_DATA_DIR", str(data_dir))
    text = banner(StudySettings.from_env(profile="smoke", root=tmp_path))
    assert "profile `smoke`" in text and "checkpoint `minilm-l6`" in text
    assert "⚠" in text and "meaningless" in text
    assert "carved from quora-dev.csv" in text
    assert "bert-base-uncased" in text  # the paper's checkpoint, for contrast


def test_reasons_mention_the_carve_only_when_it_happened():
    carved = {"quora_split": "carved-from-dev", "splits": {
        "para-train": {"rows": 10}, "para-dev": {"rows": 2}}}
    assert any("Quora" in r for r in likely_reasons("quick", "minilm-l6", carved))
    assert not any("Quora data" in r for r in likely_reasons("quick", "minilm-l6",
                                                             {"quora_split": "official"}))
    assert not any(r.startswith("epochs") for r in likely_reasons("full", "minilm-l6"))
