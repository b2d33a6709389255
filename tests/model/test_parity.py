"""MinBert matches transformers' BertModel on the same weights, for both attention paths."""

from __future__ import annotations

import pytest
import torch
import transformers

from minbert_lab.checkpoints import resolve_checkpoint
from minbert_lab.model import MinBert

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


def test_bin_checkpoint_loads_the_same(tmp_path):
    config = transformers.BertConfig(
        vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=16, attn_implementation="eager",
    )  # fmt: skip
    reference = _reference(config, seed=7)
    # transformers 5 always writes safetensors, so the legacy format is written by hand.
    (tmp_path / "safetensors").mkdir()
    reference.save_pretrained(tmp_path / "safetensors")
    (tmp_path / "bin").mkdir()
    config.save_pretrained(tmp_path / "bin")
    torch.save(reference.state_dict(), tmp_path / "bin" / "pytorch_model.bin")

    from_bin = MinBert.from_pretrained(tmp_path / "bin")
    from_safetensors = MinBert.from_pretrained(tmp_path / "safetensors")
    for (key, a), (_, b) in zip(
        from_bin.state_dict().items(), from_safetensors.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), key


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
    """Training's backward too, parameter by parameter: the fused QKV projection must hand each
    of query, key and value its own gradient. Dropout is off so both sides are deterministic."""
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
