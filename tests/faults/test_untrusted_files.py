"""Untrusted files: nothing read from disk unpickles objects, and the hub is only contacted for a
hub model named while online.

The hostile files carry a pickle that would create a file when unpickled; each test checks the
error or fallback and that the file never appeared.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import pathlib
import socket
from pathlib import Path

import huggingface_hub
import huggingface_hub.constants
import pytest
import torch
from torch import nn

from minbert_lab.checkpoints import resolve_checkpoint
from minbert_lab.config import RunConfig
from minbert_lab.data.tokenized import cached_tokenize, load_tokenizer, tokenizer_fingerprint
from minbert_lab.encoder import BertConfig, MinBert
from minbert_lab.training.resume import ResumeFile, RunProgress, write_resume_state

PACKAGE = Path(__file__).resolve().parents[2] / "minbert_lab"


class Payload:
    """Unpickling this creates ``self.target``: proof that code ran."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return pathlib.Path.touch, (self.target,)


def test_a_checkpoint_with_a_good_checksum_and_a_hostile_pickle_is_refused(
        tmp_path: Path) -> None:
    sentinel, path = tmp_path / "code-ran", tmp_path / "run.resume"
    write_resume_state(path, {"format": 1, "model": Payload(sentinel)})  # checksum made to match
    model = nn.Linear(2, 2)
    with pytest.warns(UserWarning, match="not usable .*unreadable payload"):
        run = ResumeFile(path, RunConfig(profile="smoke").resolved()).start(
            model, torch.optim.AdamW(model.parameters()))
    assert run == RunProgress()
    assert not sentinel.exists()


def test_a_hostile_pytorch_model_bin_is_refused(tmp_path: Path) -> None:
    sentinel, folder = tmp_path / "code-ran", tmp_path / "model"
    folder.mkdir()
    config = BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=8, max_position_embeddings=8)
    (folder / "config.json").write_text(json.dumps(dataclasses.asdict(config)))
    torch.save({"embeddings.word_embeddings.weight": Payload(sentinel)},
               folder / "pytorch_model.bin")
    with pytest.raises(Exception, match="[Ww]eights only load failed"):
        MinBert.from_pretrained(folder)
    assert not sentinel.exists()


def test_a_hostile_token_cache_is_rebuilt_not_loaded(tmp_path: Path) -> None:
    sentinel, texts = tmp_path / "code-ran", ["A small test .", "Another one ."]
    digest = "0" * 64
    cache = tmp_path / "cache"
    cache.mkdir()
    key = f"{tokenizer_fingerprint('minilm-l6')}-{digest[:16]}-s1"
    torch.save({"values": Payload(sentinel)}, cache / f"tokens-{key}.pt")
    ragged = cached_tokenize(texts, "minilm-l6", digest, "s1", cache)
    assert len(ragged) == 2 and ragged[0][0].item() == 101  # [CLS]: really tokenized
    assert not sentinel.exists()


def _calls_to(tree: ast.AST, names: set[str]):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in names:
                yield node


def test_no_code_path_can_unpickle_arbitrary_objects() -> None:
    loads, offenders = 0, []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if {"pickle", "dill", "joblib", "cloudpickle"} & set(modules):
                    offenders.append(f"{path.name}: imports a pickle module")
        for call in _calls_to(tree, {"load"}):
            if ast.unparse(call.func) == "torch.load":
                loads += 1
                safe = any(k.arg == "weights_only" and ast.unparse(k.value) == "True"
                           for k in call.keywords)
                if not safe:
                    offenders.append(f"{path.name}:{call.lineno}: torch.load without weights_only")
        for call in _calls_to(tree, {"read_pickle", "from_pickle"}):
            offenders.append(f"{path.name}:{call.lineno}: {ast.unparse(call.func)}")
        for call in _calls_to(tree, {"load"}):
            if any(k.arg == "allow_pickle" for k in call.keywords):
                offenders.append(f"{path.name}:{call.lineno}: allow_pickle")
    assert offenders == []
    assert loads >= 3  # model weights, token cache, training checkpoints


@pytest.fixture
def online_but_unreachable(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Hub offline mode off, and every network attempt recorded and refused."""
    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise OSError("network access attempted in a test")

    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_the_bundled_model_loads_online_without_touching_the_network(
        online_but_unreachable: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(huggingface_hub, "snapshot_download",
                        lambda **kwargs: pytest.fail("the hub was asked for a bundled model"))
    load_tokenizer.cache_clear()
    try:
        tokenizer = load_tokenizer("minilm-l6")
        model = MinBert.from_pretrained(resolve_checkpoint("minilm-l6"), add_pooler=False)
    finally:
        load_tokenizer.cache_clear()  # do not keep a tokenizer made under these patches
    assert tokenizer("hello")["input_ids"][0] == 101
    assert model.config.hidden_size == 384
    assert online_but_unreachable == []


def test_a_hub_name_goes_to_the_hub_only_when_online(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    folder = tmp_path / "snapshot"
    folder.mkdir()
    (folder / "config.json").write_text("{}")

    def snapshot_download(*, repo_id: str, **kwargs) -> str:
        asked.append(repo_id)
        return str(folder)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OSError, match=r"'someone/some-bert'.*HF_HUB_OFFLINE"):
        resolve_checkpoint("someone/some-bert")
    assert asked == []
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert resolve_checkpoint("someone/some-bert") == folder
    assert asked == ["someone/some-bert"]
