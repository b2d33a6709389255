from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from minbert_lab.heads import PairOutput
from minbert_lab.losses import (
    BinaryCrossEntropyLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    MSELoss,
    MultipleNegativesRankingLoss,
    WeightedCrossEntropyLoss,
    make_loss,
)


def _pair(u: torch.Tensor, v: torch.Tensor, score: torch.Tensor | None = None) -> PairOutput:
    return PairOutput(torch.zeros(len(u)) if score is None else score, u, v)


def test_cross_entropy_matches_pytorch_and_predicts_argmax():
    torch.manual_seed(0)
    logits, labels = torch.randn(6, 5), torch.tensor([0, 1, 2, 3, 4, 0])
    loss = CrossEntropyLoss()
    torch.testing.assert_close(loss(logits, labels), nn.CrossEntropyLoss()(logits, labels))
    torch.testing.assert_close(loss.predict(logits), logits.argmax(-1))


def test_weighted_cross_entropy_weights_are_inverse_frequencies_with_mean_one():
    weights = WeightedCrossEntropyLoss.class_weights([1, 2, 4])
    # 1/count = [1, 1/2, 1/4], mean 7/12 -> [12/7, 6/7, 3/7]
    torch.testing.assert_close(weights, torch.tensor([12 / 7, 6 / 7, 3 / 7]))
    assert weights.mean().item() == pytest.approx(1.0)


def test_weighted_cross_entropy_matches_pytorch_with_weight():
    torch.manual_seed(0)
    counts = [100, 300, 50, 400, 150]
    logits, labels = torch.randn(8, 5), torch.tensor([0, 1, 2, 3, 4, 2, 2, 1])
    loss = WeightedCrossEntropyLoss(counts)
    reference = nn.CrossEntropyLoss(weight=WeightedCrossEntropyLoss.class_weights(counts))
    torch.testing.assert_close(loss(logits, labels), reference(logits, labels))
    assert "weight" in dict(loss.named_buffers())  # moves with .to(device)


@pytest.mark.parametrize("counts", [[5], [3, 0, 2], [[1, 2], [3, 4]]])
def test_weighted_cross_entropy_rejects_bad_counts(counts):
    with pytest.raises(ValueError, match="class_counts"):
        WeightedCrossEntropyLoss(counts)


def test_binary_cross_entropy_matches_pytorch_on_the_score():
    torch.manual_seed(0)
    score, labels = torch.randn(6), torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    loss = BinaryCrossEntropyLoss()
    out = PairOutput(score, None, None)
    torch.testing.assert_close(loss(out, labels), nn.BCEWithLogitsLoss()(score, labels))
    torch.testing.assert_close(loss.predict(out), (score > 0).long())


def test_mse_matches_pytorch_and_predictions_stay_in_range():
    score, labels = torch.tensor([-1.0, 2.0, 4.5, 7.0]), torch.tensor([0.0, 2.5, 5.0, 3.0])
    loss = MSELoss()
    out = PairOutput(score, None, None)
    torch.testing.assert_close(loss(out, labels), nn.MSELoss()(score, labels))
    torch.testing.assert_close(loss.predict(out), torch.tensor([0.0, 2.0, 4.5, 5.0]))


def test_mnr_matches_a_hand_computation_and_ignores_negative_pairs():
    u = torch.tensor([[1.0, 0.0], [5.0, 5.0], [0.0, 2.0]])
    v = torch.tensor([[3.0, 0.0], [-3.0, 2.0], [1.0, 1.0]])
    labels = torch.tensor([1.0, 0.0, 1.0])
    # positives: anchors (1,0), (0,1); their positives (1,0), (1,1)/sqrt2
    # S = 20 * [[1, 1/sqrt2], [0, 1/sqrt2]]
    s = 20 / math.sqrt(2)
    row0 = -20 + math.log(math.exp(20) + math.exp(s))
    row1 = -s + math.log(1 + math.exp(s))
    loss = MultipleNegativesRankingLoss()
    value = loss(_pair(u, v), labels)
    assert value.item() == pytest.approx((row0 + row1) / 2, rel=1e-5)
    # the negative pair (row 1) takes no part
    u2, v2 = u.clone(), v.clone()
    u2[1], v2[1] = torch.tensor([-7.0, 1.0]), torch.tensor([0.5, 9.0])
    assert loss(_pair(u2, v2), labels).item() == pytest.approx(value.item(), rel=1e-6)


def test_mnr_is_near_zero_for_perfectly_aligned_pairs():
    u = torch.eye(4)
    aligned = MultipleNegativesRankingLoss()(_pair(u, u.clone()), torch.ones(4))
    assert aligned.item() < 1e-6  # log(1 + 3 e^-20)
    shuffled = MultipleNegativesRankingLoss()(_pair(u, u.roll(1, 0)), torch.ones(4))
    assert shuffled.item() > 10


@pytest.mark.parametrize("labels", [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
def test_mnr_with_fewer_than_two_positives_is_a_zero_with_a_graph(labels):
    u = torch.randn(3, 4, requires_grad=True)
    v = torch.randn(3, 4, requires_grad=True)
    value = MultipleNegativesRankingLoss()(_pair(u, v), torch.tensor(labels))
    assert value.item() == 0.0
    value.backward()
    assert u.grad is not None and not u.grad.any()


def test_mnr_predicts_paraphrase_above_cosine_one_half():
    u = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    v = torch.tensor([[1.0, 0.1], [1.0, 1.9], [0.0, 1.0]])  # cos ~ 0.995, ~0.47, 0
    loss = MultipleNegativesRankingLoss()
    torch.testing.assert_close(loss.predict(_pair(u, v)), torch.tensor([1, 0, 0]))


@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding_matches_pytorch_for_para(margin):
    torch.manual_seed(0)
    u, v = torch.randn(8, 6), torch.randn(8, 6)
    labels = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    value = CosineEmbeddingLoss(task="para", margin=margin)(_pair(u, v), labels)
    reference = nn.CosineEmbeddingLoss(margin=margin)(u, v, 2 * labels - 1)
    torch.testing.assert_close(value, reference)


def test_cosine_embedding_for_sts_splits_labels_at_two_and_a_half():
    torch.manual_seed(0)
    u, v = torch.randn(6, 4), torch.randn(6, 4)
    labels = torch.tensor([0.0, 2.4, 2.5, 3.0, 5.0, 1.0])
    target = torch.tensor([-1.0, -1.0, 1.0, 1.0, 1.0, -1.0])
    value = CosineEmbeddingLoss(task="sts")(_pair(u, v), labels)
    torch.testing.assert_close(value, nn.CosineEmbeddingLoss()(u, v, target))


def test_cosine_embedding_predictions():
    u = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    v = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])  # cos 1, 0, -1
    sts = CosineEmbeddingLoss(task="sts").predict(_pair(u, v))
    torch.testing.assert_close(sts, torch.tensor([5.0, 2.5, 0.0]))
    para = CosineEmbeddingLoss(task="para").predict(_pair(u, v))
    torch.testing.assert_close(para, torch.tensor([1, 0, 0]))


def test_embedding_losses_need_a_siamese_head():
    out = PairOutput(torch.zeros(3), None, None)
    with pytest.raises(ValueError, match="Siamese"):
        MultipleNegativesRankingLoss()(out, torch.ones(3))
    with pytest.raises(ValueError, match="Siamese"):
        CosineEmbeddingLoss(task="sts")(out, torch.ones(3))


@pytest.mark.parametrize(
    ("task", "name", "cls"),
    [
        ("sst", "ce", CrossEntropyLoss),
        ("para", "bce", BinaryCrossEntropyLoss),
        ("para", "mnr", MultipleNegativesRankingLoss),
        ("para", "cos_emb", CosineEmbeddingLoss),
        ("sts", "mse", MSELoss),
        ("sts", "cos_emb", CosineEmbeddingLoss),
    ],
)
def test_make_loss_builds_the_named_loss(task, name, cls):
    assert type(make_loss(task, name)) is cls


def test_make_loss_weighted_ce_needs_counts():
    assert isinstance(make_loss("sst", "weighted_ce", class_counts=[1, 2, 3, 4, 5]), nn.Module)
    with pytest.raises(ValueError, match="class_counts"):
        make_loss("sst", "weighted_ce")


def test_make_loss_rejects_bad_names_listing_the_valid_ones():
    with pytest.raises(ValueError, match=r"choose one of \['bce', 'mnr', 'cosine_embedding'\]"):
        make_loss("para", "hinge")
    with pytest.raises(ValueError, match=r"choose one of \['mse', 'cosine_embedding'\]"):
        make_loss("sts", "bce")
    with pytest.raises(ValueError, match=r"\['sst', 'para', 'sts'\]"):
        make_loss("qqp", "bce")


def test_every_loss_the_config_lists_builds_its_own_class():
    from minbert_lab.config import LOSSES
    from minbert_lab.losses import LOSS_CLASSES

    assert set(LOSS_CLASSES) == {name for names in LOSSES.values() for name in names}
    for (task, _head), names in LOSSES.items():
        for name in names:
            assert type(make_loss(task, name, class_counts=[1, 2, 3, 4, 5])) is LOSS_CLASSES[name]
