"""Checkpoint loading names what does not fit; the encoder's public surface has the right shapes."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from safetensors.torch import save_file

from minbert_lab.model import BertConfig, MinBert

TINY = BertConfig(
    vocab_size=50,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=24,
    max_position_embeddings=12,
)


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


def _batch(B: int = 3, T: int = 7) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    mask = (torch.arange(T) < torch.tensor([T, 3, 5])[:B, None]).long()  # (B, T)
    ids = torch.randint(1, TINY.vocab_size, (B, T), generator=g) * mask
    types = (torch.arange(T) >= 2).long().expand(B, T) * mask
    return ids, mask, types


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


def test_dropout_override_reaches_the_modules(tmp_path):
    folder = _write(tmp_path / "ckpt", _state())
    model = MinBert.from_pretrained(
        folder, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.25
    )
    assert (model.config.hidden_dropout_prob, model.config.attention_probs_dropout_prob) == (
        0.0,
        0.25,
    )
    dropouts = [m for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    assert len(dropouts) == 1 + 2 * TINY.num_hidden_layers  # embeddings, 2 per layer
    assert all(m.p == 0.0 for m in dropouts)
    assert [layer.attention["self"].dropout_p for layer in model.encoder["layer"]] == [0.25, 0.25]
    # Without overrides the checkpoint's values stand.
    assert MinBert.from_pretrained(folder).config.hidden_dropout_prob == 0.1


@pytest.mark.parametrize("attn", ["sdpa", "manual"])
def test_shapes_and_embed_encode_split(attn):
    model = MinBert(TINY, attn_implementation=attn).eval()
    ids, mask, types = _batch()
    with torch.no_grad():
        embedded = model.embed(ids, types)
        hidden = model.encode(embedded, mask)
        pooled = model.pool(hidden)
        assert embedded.shape == hidden.shape == (3, 7, TINY.hidden_size)
        assert pooled.shape == (3, TINY.hidden_size)
        torch.testing.assert_close(model(ids, mask, types), hidden, rtol=0, atol=0)
        # Token types default to segment 0.
        torch.testing.assert_close(model.embed(ids), model.embed(ids, torch.zeros_like(ids)))


def test_attention_paths_agree_and_switch_after_construction():
    model = MinBert(TINY).eval()
    ids, mask, types = _batch()
    with torch.no_grad():
        fused = model(ids, mask, types)
        model.set_attn_implementation("manual")
        assert model.attn_implementation == "manual"
        assert all(
            layer.attention["self"].attn_implementation == "manual"
            for layer in model.encoder["layer"]
        )
        manual = model(ids, mask, types)
    real = mask.bool()
    torch.testing.assert_close(fused[real], manual[real], atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match=r"\['sdpa', 'manual'\]"):
        model.set_attn_implementation("flash")


def test_padding_does_not_leak_into_real_tokens():
    model = MinBert(TINY).eval()
    ids, mask, types = _batch()
    with torch.no_grad():
        short = model(ids[1:2, :3], mask[1:2, :3], types[1:2, :3])
        padded = model(ids[1:2], mask[1:2], types[1:2])
    torch.testing.assert_close(padded[:, :3], short, atol=1e-5, rtol=0)


def test_config_validation_and_unknown_keys():
    with pytest.raises(ValueError, match="divisible"):
        dataclasses.replace(TINY, num_attention_heads=3)
    with pytest.raises(ValueError, match=r"\['gelu', 'gelu_new', 'relu'\]"):
        dataclasses.replace(TINY, hidden_act="swish")
    with pytest.raises(ValueError, match="absolute"):
        BertConfig.from_dict({"position_embedding_type": "relative_key"})
    values = {**dataclasses.asdict(TINY), "architectures": ["BertModel"], "model_type": "bert"}
    assert BertConfig.from_dict(values) == TINY


@pytest.mark.parametrize("attn", ["sdpa", "manual"])
def test_train_mode_drops_out_and_gradients_reach_a_perturbed_embedding(attn):
    """What SMART needs: a perturbation of ``embed``'s output gets a gradient through ``encode``."""
    model = MinBert(TINY, attn_implementation=attn).train()
    ids, mask, types = _batch()
    embedded = model.embed(ids, types)
    noise = torch.zeros_like(embedded, requires_grad=True)
    hidden = model.encode(embedded + noise, mask)
    hidden[mask.bool()].pow(2).sum().backward()
    assert noise.grad is not None and noise.grad[mask.bool()].abs().sum() > 0
    assert model.embeddings.word_embeddings.weight.grad is not None
    with torch.no_grad():  # dropout is on in training mode, so two passes differ
        assert not torch.equal(model(ids, mask, types), model(ids, mask, types))
