"""Checkpoint loading: a key-for-key copy that names whatever does not fit."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from safetensors.torch import save_file
from tiny_bert import TINY

from minbert_lab.encoder import BertConfig, MinBert


def _state(config: BertConfig = TINY, seed: int = 0) -> dict[str, torch.Tensor]:
    with torch.random.fork_rng():
        torch.manual_seed(seed)  # inside fork_rng: the global RNG is restored afterwards
        return {k: v.clone() for k, v in MinBert(config).state_dict().items()}


def _write(folder, state, config: BertConfig = TINY, extra_config: dict | None = None):
    folder.mkdir(exist_ok=True)
    values = {**dataclasses.asdict(config), "architectures": ["BertModel"], **(extra_config or {})}
    (folder / "config.json").write_text(json.dumps(values))
    save_file({k: v.contiguous() for k, v in state.items()}, folder / "model.safetensors")
    return folder


def test_missing_key_is_named(tmp_path):
    state = _state()
    del state["encoder.layer.1.attention.self.key.bias"]
    with pytest.raises(
        ValueError, match=r"1 missing keys: encoder\.layer\.1\.attention\.self\.key"
    ):
        MinBert.from_pretrained(_write(tmp_path / "ckpt", state))


def test_many_missing_keys_are_counted(tmp_path):
    state = {k: v for k, v in _state().items() if not k.startswith("encoder.layer.1.")}
    with pytest.raises(ValueError, match=r"16 missing keys: .*\(11 more\)"):
        MinBert.from_pretrained(_write(tmp_path / "ckpt", state))


def test_unexpected_key_is_named(tmp_path):
    state = {**_state(), "encoder.layer.0.attention.self.rotary.weight": torch.zeros(3)}
    with pytest.raises(
        ValueError, match=r"unexpected keys: encoder\.layer\.0\.attention\.self\.rot"
    ):
        MinBert.from_pretrained(_write(tmp_path / "ckpt", state))


def test_wrong_shape_is_named(tmp_path):
    state = {**_state(), "encoder.layer.1.intermediate.dense.weight": torch.zeros(25, 16)}
    with pytest.raises(
        ValueError,
        match=r"encoder\.layer\.1\.intermediate\.dense\.weight \(checkpoint \(25, 16\), model",
    ):
        MinBert.from_pretrained(_write(tmp_path / "ckpt", state))


def test_missing_pooler_is_named_unless_no_pooler_is_asked_for(tmp_path):
    state = {k: v for k, v in _state().items() if not k.startswith("pooler.")}
    folder = _write(tmp_path / "ckpt", state)
    with pytest.raises(ValueError, match=r"pooler\.dense\.bias.*add_pooler=False"):
        MinBert.from_pretrained(folder)
    assert MinBert.from_pretrained(folder, add_pooler=False).pooler is None


def test_no_pooler_model_ignores_checkpoint_pooler(tmp_path):
    model = MinBert.from_pretrained(_write(tmp_path / "ckpt", _state()), add_pooler=False)
    assert not any(k.startswith("pooler.") for k in model.state_dict())
    with pytest.raises(RuntimeError, match="add_pooler=False"):
        model.pool(torch.zeros(2, 3, TINY.hidden_size))


def test_pretraining_checkpoint_keys_are_normalised(tmp_path):
    """bert-base-uncased's layout: ``bert.`` prefix, MLM/NSP heads, gamma/beta, position_ids."""
    state = _state(seed=1)
    legacy = {
        "bert."
        + k.replace("LayerNorm.weight", "LayerNorm.gamma").replace(
            "LayerNorm.bias", "LayerNorm.beta"
        ): v
        for k, v in state.items()
    }
    legacy["bert.embeddings.position_ids"] = torch.arange(TINY.max_position_embeddings)[None]
    legacy["cls.predictions.bias"] = torch.zeros(TINY.vocab_size)
    legacy["cls.seq_relationship.weight"] = torch.zeros(2, TINY.hidden_size)
    assert "bert.embeddings.LayerNorm.gamma" in legacy

    model = MinBert.from_pretrained(_write(tmp_path / "ckpt", legacy))
    for key, tensor in model.state_dict().items():
        assert torch.equal(tensor, state[key]), key


def test_missing_config_is_file_not_found(tmp_path):
    save_file(_state(), tmp_path / "model.safetensors")
    with pytest.raises(FileNotFoundError, match="config.json"):
        MinBert.from_pretrained(tmp_path)


def test_missing_weights_is_file_not_found(tmp_path):
    folder = _write(tmp_path / "ckpt", _state())
    (folder / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="pytorch_model.bin"):
        MinBert.from_pretrained(folder)


def test_bin_checkpoint_loads_the_same(tmp_path):
    """The legacy ``pytorch_model.bin`` (read with ``weights_only``) loads what safetensors does."""
    state = _state(seed=7)
    from_safetensors = MinBert.from_pretrained(_write(tmp_path / "safetensors", state))
    folder = _write(tmp_path / "bin", state)
    (folder / "model.safetensors").unlink()
    torch.save(state, folder / "pytorch_model.bin")
    from_bin = MinBert.from_pretrained(folder)
    for (key, a), (_, b) in zip(
        from_bin.state_dict().items(), from_safetensors.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), key
