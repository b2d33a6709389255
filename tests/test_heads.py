from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F

from minbert_lab.config import PAIR_HEADS
from minbert_lab.heads import (
    CrossEncoderHead,
    PairOutput,
    SentimentHead,
    SharedTrunk,
    SiameseConcatDiffHead,
    SiameseCosineHead,
    make_head,
)

B, H = 4, 8


def _identity_projection(head: torch.nn.Module) -> None:
    with torch.no_grad():
        head.to_proj.weight.copy_(torch.eye(H))
        head.to_proj.bias.zero_()


def test_sentiment_head_gives_five_logits_per_sentence():
    head = SentimentHead(hidden=H, dropout=0.1)
    assert head(torch.randn(B, H)).shape == (B, 5)


def test_concat_diff_head_scores_each_pair_and_returns_projections():
    torch.manual_seed(0)
    head = SiameseConcatDiffHead(hidden=H, dropout=0.0)
    a, b = torch.randn(B, H), torch.randn(B, H)
    out = head(a, b)
    assert isinstance(out, PairOutput)
    assert out.score.shape == (B,)
    assert out.u.shape == out.v.shape == (B, H)
    # u, v are the same projection applied to a and b, and the score reads [u, v, |u - v|]
    torch.testing.assert_close(out.u, head.to_proj(a))
    torch.testing.assert_close(out.v, head.to_proj(b))
    features = torch.cat([out.u, out.v, (out.u - out.v).abs()], dim=-1)
    torch.testing.assert_close(out.score, head.to_score(features).squeeze(-1))


def test_cosine_head_for_para_is_a_scaled_shifted_cosine_logit():
    torch.manual_seed(0)
    head = SiameseCosineHead(hidden=H, dropout=0.0, task="para")
    out = head(torch.randn(B, H), torch.randn(B, H))
    cos = F.cosine_similarity(out.u, out.v, dim=-1)
    torch.testing.assert_close(out.score, 5.0 * cos - 2.5)
    assert {n for n, _ in head.named_parameters()} >= {"scale", "bias"}


def test_cosine_head_for_sts_stays_in_the_label_range():
    torch.manual_seed(0)
    head = SiameseCosineHead(hidden=H, dropout=0.0, task="sts")
    out = head(torch.randn(64, H) * 10, torch.randn(64, H) * 10)
    assert out.score.shape == (64,)
    assert out.score.min() >= 0 and out.score.max() <= 5
    _identity_projection(head)
    x = torch.randn(B, H)
    torch.testing.assert_close(head(x, x).score, torch.full((B,), 5.0))
    torch.testing.assert_close(head(x, -x).score, torch.zeros(B), atol=1e-5, rtol=0)


def test_cosine_head_rejects_sst():
    with pytest.raises(ValueError, match="'para', 'sts'"):
        SiameseCosineHead(hidden=H, dropout=0.0, task="sst")


def test_cross_encoder_head_scores_pairs_without_embeddings():
    out = CrossEncoderHead(hidden=H, dropout=0.1)(torch.randn(B, H))
    assert out.score.shape == (B,)
    assert out.u is None and out.v is None


def test_shared_trunk_is_linear_then_relu():
    trunk = SharedTrunk(hidden=H)
    x = torch.randn(B, H)
    y = trunk(x)
    assert y.shape == (B, H)
    torch.testing.assert_close(y, torch.relu(trunk.dense(x)))


def test_head_dropout_is_off_in_eval_mode():
    head = SentimentHead(hidden=H, dropout=0.5).eval()
    x = torch.randn(B, H)
    torch.testing.assert_close(head(x), head(x))


@pytest.mark.parametrize(
    ("task", "name", "cls"),
    [
        ("sst", "linear", SentimentHead),
        ("para", "S-CD", SiameseConcatDiffHead),
        ("para", "S-CS", SiameseCosineHead),
        ("sts", "CE", CrossEncoderHead),
    ],
)
def test_make_head_builds_the_named_head(task, name, cls):
    assert isinstance(make_head(task, name, hidden=H, dropout=0.1), cls)


def test_make_head_rejects_a_head_that_does_not_fit_the_task():
    with pytest.raises(ValueError, match=re.escape(str(list(PAIR_HEADS)))):
        make_head("para", "linear", hidden=H, dropout=0.1)
    with pytest.raises(ValueError, match="task="):
        make_head("qqp", "CE", hidden=H, dropout=0.1)


def test_every_head_the_config_lists_builds_its_own_class():
    from minbert_lab.config import HEADS
    from minbert_lab.heads import HEAD_CLASSES, make_head

    assert set(HEAD_CLASSES) == {name for names in HEADS.values() for name in names}
    for task, names in HEADS.items():
        for name in names:
            head = make_head(task, name, hidden=8, dropout=0.1)
            assert type(head) is HEAD_CLASSES[name]
