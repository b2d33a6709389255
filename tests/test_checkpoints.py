"""Where a checkpoint lives (``checkpoints.py``): the bundled MiniLM, a local folder, or a hub name
(only ever fetched online; see also ``faults/test_untrusted_files.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minbert_lab.checkpoints import BUNDLED, DEFAULT_CHECKPOINT, resolve_checkpoint


def test_the_bundled_name_resolves_to_a_model_folder():
    folder = resolve_checkpoint(DEFAULT_CHECKPOINT)
    assert resolve_checkpoint() == folder  # the default
    assert {"config.json", "vocab.txt"} <= {p.name for p in folder.iterdir()}
    assert json.loads((folder / "config.json").read_text())["hidden_size"] == 384


def test_a_local_folder_resolves_to_itself(tmp_path: Path):
    (tmp_path / "config.json").write_text("{}")
    assert resolve_checkpoint(tmp_path) == tmp_path
    assert resolve_checkpoint(str(tmp_path)) == tmp_path


def test_a_folder_without_config_json_is_not_a_model(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"not a Hugging Face model folder.*config\.json"):
        resolve_checkpoint(tmp_path)


def test_a_hub_name_offline_is_an_error_listing_the_bundled_names(
        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OSError, match="HF_HUB_OFFLINE") as raised:
        resolve_checkpoint("someone/some-bert")
    message = str(raised.value)
    assert "'someone/some-bert'" in message and str(sorted(BUNDLED)) in message
