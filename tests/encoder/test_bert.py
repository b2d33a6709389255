"""MinBert: Hugging Face's module tree and parameter names, transformers' numbers (forward and
gradients, both attention paths), and speed paths that change no results."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
import torch.nn.functional as F
import transformers
from safetensors.torch import save_file
from tiny_bert import TINY

from minbert_lab.checkpoints import resolve_checkpoint
from minbert_lab.encoder import MinBert
from minbert_lab.encoder import bert as bert_module

ATOL = 1e-5
SMALL_CONFIGS = {
    "h32-l2-gelu": dict(hidden_size=32, num_hidden_layers=2, intermediate_size=64),
    "h48-l3-gelu_new-3types": dict(
        hidden_size=48,
        num_hidden_layers=3,
        intermediate_size=37,
        hidden_act="gelu_new",
        type_vocab_size=3,
    ),
    "h32-l3-relu": dict(
        hidden_size=32, num_hidden_layers=3, intermediate_size=37, hidden_act="relu"
    ),
}
SENTENCES = [
    "The movie was a delight from start to finish.",
    "Not good.",
    "How do I learn to play the guitar quickly, and which songs should I start with?",
]


def _batch(B: int = 3, T: int = 7) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    mask = (torch.arange(T) < torch.tensor([T, 3, 5])[:B, None]).long()  # (B, T)
    ids = torch.randint(1, TINY.vocab_size, (B, T), generator=g) * mask
    types = (torch.arange(T) >= 2).long().expand(B, T) * mask
    return ids, mask, types


def _reference(config: transformers.BertConfig, seed: int) -> transformers.BertModel:
    """A BertModel whose weights are all far from their init, so that swapped or misplaced
    tensors (query for key, a LayerNorm's weight for its bias) cannot hide behind near-zero
    values. fork_rng keeps the model's own init from touching the global RNG."""
    with torch.random.fork_rng():
        model = transformers.BertModel(config)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
    return model.eval()


def _padded_batch(vocab: int, type_vocab: int, seed: int) -> dict[str, torch.Tensor]:
    """Three rows of lengths 9, 4 and 6, right-padded to 9, with mixed token types."""
    g = torch.Generator().manual_seed(seed)
    lengths = [9, 4, 6]
    input_ids = torch.randint(1, vocab, (3, 9), generator=g)
    attention_mask = (torch.arange(9) < torch.tensor(lengths)[:, None]).long()  # (3, 9)
    token_type_ids = torch.randint(0, type_vocab, (3, 9), generator=g) * attention_mask
    input_ids = input_ids * attention_mask  # 0 = [PAD]
    return dict(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)


def _max_diff(ours: torch.Tensor, theirs: torch.Tensor, mask: torch.Tensor) -> float:
    real = mask.bool()  # compare real tokens only: padded positions are never read downstream
    return (ours[real] - theirs[real]).abs().max().item()


# --- Hugging Face's tree and names ------------------------------------------------------------


def test_state_dict_has_transformers_keys_in_transformers_order():
    config = transformers.BertConfig(**dataclasses.asdict(TINY))
    with torch.random.fork_rng():
        theirs = transformers.BertModel(config).state_dict()
    buffers = ("embeddings.position_ids", "embeddings.token_type_ids")  # not weights: rebuilt
    assert list(MinBert(TINY).state_dict()) == [k for k in theirs if k not in buffers]


def test_modules_are_named_and_nested_as_in_transformers():
    model = MinBert(TINY)
    layer = model.encoder.layer[1]
    assert type(layer).__name__ == "BertLayer"
    assert type(layer.attention.self).__name__ == "BertSelfAttention"
    assert type(layer.attention.output).__name__ == "BertSelfOutput"
    assert type(layer.intermediate).__name__ == "BertIntermediate"
    assert type(layer.output).__name__ == "BertOutput"
    assert type(model.pooler).__name__ == "BertPooler"
    assert layer.output.dense.in_features == TINY.intermediate_size
    assert layer.attention.output.dense.in_features == TINY.hidden_size
    assert not any("qkv" in k for k in model.state_dict())


def test_attention_implementation_is_kept_once_and_reaches_every_layer(monkeypatch):
    calls, sdpa = [], F.scaled_dot_product_attention

    def counting_sdpa(*args, **kwargs):
        calls.append(1)
        return sdpa(*args, **kwargs)

    monkeypatch.setattr(bert_module.F, "scaled_dot_product_attention", counting_sdpa)
    model = MinBert(TINY).eval()
    ids, mask, types = _batch()
    assert not any(hasattr(m, "attn_implementation") for m in model.modules() if m is not model)
    with torch.no_grad():
        model(ids, mask, types)
        assert len(calls) == TINY.num_hidden_layers
        model.set_attn_implementation("manual")
        model(ids, mask, types)
    assert model.attn_implementation == "manual"
    assert len(calls) == TINY.num_hidden_layers  # the explicit path everywhere
    with pytest.raises(ValueError, match=r"\['sdpa', 'manual'\]"):
        model.set_attn_implementation("flash")


# --- the same numbers as transformers ----------------------------------------------------------


@pytest.mark.parametrize("attn", ["sdpa", "manual"])
@pytest.mark.parametrize("name", sorted(SMALL_CONFIGS))
def test_random_small_configs_match_transformers(tmp_path, name, attn):
    seed = sorted(SMALL_CONFIGS).index(name)
    config = transformers.BertConfig(
        vocab_size=100,
        num_attention_heads=4,
        max_position_embeddings=16,
        attn_implementation="eager",  # the literal softmax(QK^T) reference
        **SMALL_CONFIGS[name],
    )
    reference = _reference(config, seed)
    reference.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    batch = _padded_batch(config.vocab_size, config.type_vocab_size, seed)

    model = MinBert.from_pretrained(tmp_path, attn_implementation=attn)
    with torch.no_grad():
        expected = reference(**batch)
        hidden = model(**batch)

    assert hidden.shape == expected.last_hidden_state.shape
    diff = _max_diff(hidden, expected.last_hidden_state, batch["attention_mask"])
    print(f"{name} {attn}: max abs diff {diff:.2e}")
    assert diff < ATOL
    torch.testing.assert_close(model.pool(hidden), expected.pooler_output, atol=ATOL, rtol=0)


@pytest.mark.parametrize("attn", ["sdpa", "manual"])
def test_minilm_l6_matches_transformers(attn):
    folder = resolve_checkpoint("minilm-l6")
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    batch = dict(tokenizer(SENTENCES, padding=True, return_tensors="pt"))
    # A second-segment block in one row, so the token-type embeddings are exercised too.
    batch["token_type_ids"][0, 5:] = batch["attention_mask"][0, 5:]
    reference = transformers.BertModel.from_pretrained(folder, attn_implementation="eager").eval()
    model = MinBert.from_pretrained("minilm-l6", attn_implementation=attn)

    with torch.no_grad():
        expected = reference(**batch)
        hidden = model(**batch)

    diff = _max_diff(hidden, expected.last_hidden_state, batch["attention_mask"])
    print(f"minilm-l6 {attn}: max abs diff {diff:.2e}")
    assert diff < ATOL
    torch.testing.assert_close(model.pool(hidden), expected.pooler_output, atol=ATOL, rtol=0)


@pytest.mark.parametrize("attn", ["sdpa", "manual"])
def test_gradients_match_transformers(tmp_path, attn):
    """Training's backward too, parameter by parameter: packing the real tokens must hand every
    projection its own gradient. Dropout is off so both sides are deterministic."""
    config = transformers.BertConfig(
        vocab_size=100, num_attention_heads=4, max_position_embeddings=16,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, attn_implementation="eager",
        **SMALL_CONFIGS["h32-l2-gelu"],
    )  # fmt: skip
    reference = _reference(config, seed=11).train()
    reference.save_pretrained(tmp_path)
    model = MinBert.from_pretrained(tmp_path, attn_implementation=attn).train()
    batch = _padded_batch(config.vocab_size, config.type_vocab_size, seed=11)
    real = batch["attention_mask"].bool()
    weights = torch.randn(3, 9, config.hidden_size, generator=torch.Generator().manual_seed(11))

    expected = reference(**batch)
    (expected.last_hidden_state * weights)[real].sum().add(expected.pooler_output.sum()).backward()
    hidden = model(**batch)
    (hidden * weights)[real].sum().add(model.pool(hidden).sum()).backward()

    theirs = dict(reference.named_parameters())
    worst = 0.0
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.grad, theirs[name].grad, atol=1e-4, rtol=1e-4, msg=name)
        worst = max(worst, (p.grad - theirs[name].grad).abs().max().item())
    print(f"gradients {attn}: max abs diff {worst:.2e}")


# --- the public surface -----------------------------------------------------------------------


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


def test_attention_paths_agree():
    model = MinBert(TINY).eval()
    ids, mask, types = _batch()
    with torch.no_grad():
        sdpa = model(ids, mask, types)
        model.set_attn_implementation("manual")
        manual = model(ids, mask, types)
    real = mask.bool()
    torch.testing.assert_close(sdpa[real], manual[real], atol=1e-5, rtol=0)


def test_padding_does_not_leak_into_real_tokens():
    model = MinBert(TINY).eval()
    ids, mask, types = _batch()
    with torch.no_grad():
        short = model(ids[1:2, :3], mask[1:2, :3], types[1:2, :3])
        padded = model(ids[1:2], mask[1:2], types[1:2])
    torch.testing.assert_close(padded[:, :3], short, atol=1e-5, rtol=0)


def test_dropout_override_reaches_the_modules(tmp_path):
    values = {**dataclasses.asdict(TINY), "architectures": ["BertModel"]}
    (tmp_path / "config.json").write_text(json.dumps(values))
    save_file(MinBert(TINY).state_dict(), tmp_path / "model.safetensors")
    model = MinBert.from_pretrained(
        tmp_path, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.25
    )
    assert (model.config.hidden_dropout_prob, model.config.attention_probs_dropout_prob) == (
        0.0,
        0.25,
    )
    dropouts = [m for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    assert len(dropouts) == 1 + 2 * TINY.num_hidden_layers  # embeddings, 2 per layer
    assert all(m.p == 0.0 for m in dropouts)
    assert [layer.attention.self.dropout_p for layer in model.encoder.layer] == [0.25, 0.25]
    # Without overrides the checkpoint's values stand.
    assert MinBert.from_pretrained(tmp_path).config.hidden_dropout_prob == 0.1


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


# --- the speed paths change no results ---------------------------------------------------------


@pytest.mark.parametrize("attn", ["sdpa", "manual"])
def test_unpadded_rows_match_with_and_without_a_mask(attn):
    """A batch without padding skips the mask; the same rows inside a padded batch do not."""
    model = MinBert(TINY, attn_implementation=attn).eval()
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1, TINY.vocab_size, (3, 7), generator=g)
    mask = torch.ones(3, 7, dtype=torch.long)
    mask[2, 4:] = 0  # one padded row, so the batch takes the masked path
    with torch.no_grad():
        padded_batch = model(ids * mask, mask)
        unpadded_batch = model(ids[:2], mask[:2])
        no_mask = model(ids[:2], None)
    torch.testing.assert_close(padded_batch[:2], unpadded_batch, atol=1e-5, rtol=0)
    torch.testing.assert_close(unpadded_batch, no_mask, atol=0, rtol=0)


@pytest.mark.parametrize("attn", ["sdpa", "manual"])
def test_training_without_dropout_computes_the_eval_function(attn):
    config = dataclasses.replace(TINY, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = MinBert(config, attn_implementation=attn)
    ids = torch.randint(1, TINY.vocab_size, (3, 7))
    mask = (torch.arange(7) < torch.tensor([7, 3, 5])[:, None]).long()
    train = model.train()(ids * mask, mask)
    with torch.no_grad():
        evaluated = model.eval()(ids * mask, mask)
    real = mask.bool()
    torch.testing.assert_close(train[real], evaluated[real], atol=1e-5, rtol=0)


def test_cpu_training_with_attention_dropout_takes_the_explicit_path_for_both():
    """SDPA has no CPU kernel with dropout, so "sdpa" trains through the explicit maths: the same
    seed gives the same output as "manual"."""
    model = MinBert(dataclasses.replace(TINY, attention_probs_dropout_prob=0.3)).train()
    ids = torch.randint(1, TINY.vocab_size, (3, 7))
    mask = (torch.arange(7) < torch.tensor([7, 3, 5])[:, None]).long()
    torch.manual_seed(3)
    sdpa = model(ids * mask, mask)
    model.set_attn_implementation("manual")
    torch.manual_seed(3)
    manual = model(ids * mask, mask)
    torch.testing.assert_close(sdpa, manual, atol=0, rtol=0)


def test_encode_returns_zeros_at_padded_positions():
    model = MinBert(TINY).eval()
    ids = torch.randint(1, TINY.vocab_size, (3, 7))
    mask = (torch.arange(7) < torch.tensor([7, 3, 5])[:, None]).long()
    with torch.no_grad():
        hidden = model(ids * mask, mask)
    assert torch.equal(hidden[~mask.bool()], torch.zeros(int((mask == 0).sum()), TINY.hidden_size))
    assert hidden[mask.bool()].abs().sum(-1).min() > 0
