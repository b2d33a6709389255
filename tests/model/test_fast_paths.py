"""The speed paths change no results: cheap CPU dropout, packing a padded batch's real tokens,
the fused QKV projection, the explicit attention of CPU training, and the skipped mask of an
unpadded batch."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from minbert_lab.model import BertConfig, MinBert
from minbert_lab.model.bert import Padding, dropout

TINY = BertConfig(
    vocab_size=50,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=24,
    max_position_embeddings=12,
)


def test_dropout_is_identity_in_eval_and_at_zero():
    x = torch.randn(4, 5)
    assert dropout(x, 0.1, training=False) is x
    assert dropout(x, 0.0, training=True) is x


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_dropout_keeps_one_minus_p_and_rescales(p):
    torch.manual_seed(0)
    x = torch.rand(1000, 1001) + 1.0  # odd size: not a multiple of the 4 draws per word
    y = dropout(x, p, training=True)
    kept = y != 0
    n = x.numel()
    assert abs(kept.float().mean().item() - (1 - p)) < 4 * (p * (1 - p) / n) ** 0.5
    torch.testing.assert_close(y[kept], x[kept] / (1 - p))


def test_dropout_is_seeded_and_independent_across_positions():
    torch.manual_seed(1)
    a = dropout(torch.ones(64, 64), 0.5, training=True) != 0
    torch.manual_seed(1)
    b = dropout(torch.ones(64, 64), 0.5, training=True) != 0
    assert torch.equal(a, b)
    # Neighbouring elements (read from one 64-bit word) agree only by chance.
    assert abs((a[:, 1:] == a[:, :-1]).float().mean().item() - 0.5) < 0.05


def test_dropout_gradient_is_the_mask_rescaled():
    torch.manual_seed(2)
    x = torch.randn(7, 9, requires_grad=True)
    y = dropout(x, 0.25, training=True)
    y.sum().backward()
    torch.testing.assert_close(x.grad, (y != 0).float() / 0.75)


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
    fused = model(ids * mask, mask)
    model.set_attn_implementation("manual")
    torch.manual_seed(3)
    manual = model(ids * mask, mask)
    torch.testing.assert_close(fused, manual, atol=0, rtol=0)


def test_state_dict_keeps_the_three_projection_keys():
    keys = MinBert(TINY).state_dict().keys()
    for name in ("query", "key", "value"):
        assert f"encoder.layer.0.attention.self.{name}.weight" in keys
    assert not any("qkv" in k for k in keys)


def test_padding_packs_real_tokens_and_pads_back_with_zeros():
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    x = torch.arange(2 * 3 * 2, dtype=torch.float).view(2, 3, 2)
    padding = Padding.of(mask)
    packed = padding.unpad(x)  # (N, D)
    assert packed.tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]]
    back = padding.pad(packed)
    assert torch.equal(back[mask.bool()], x[mask.bool()])
    assert torch.equal(back[~mask.bool()], torch.zeros(2, 2))
    assert Padding.of(torch.ones(2, 3)) is None and Padding.of(None) is None


def test_encode_returns_zeros_at_padded_positions():
    model = MinBert(TINY).eval()
    ids = torch.randint(1, TINY.vocab_size, (3, 7))
    mask = (torch.arange(7) < torch.tensor([7, 3, 5])[:, None]).long()
    with torch.no_grad():
        hidden = model(ids * mask, mask)
    assert torch.equal(hidden[~mask.bool()], torch.zeros(int((mask == 0).sum()), TINY.hidden_size))
    assert hidden[mask.bool()].abs().sum(-1).min() > 0
