from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.data.batch import Batch, Encoded
from minbert_lab.heads import PairOutput, SharedTrunk
from minbert_lab.losses import make_loss
from minbert_lab.model import MultitaskModel, pool
from minbert_lab.regularizers import SmartRegularizer

VOCAB, H, T = 30, 8, 6


class TinyEncoder(nn.Module):
    """A stand-in for ``MinBert`` with its interface: embeddings + one mask-aware layer."""

    def __init__(self):
        super().__init__()
        self.config = SimpleNamespace(hidden_size=H)
        self.word_embeddings = nn.Embedding(VOCAB, H)
        self.token_type_embeddings = nn.Embedding(2, H)
        self.dense = nn.Linear(H, H)

    def embed(self, input_ids, token_type_ids=None):
        x = self.word_embeddings(input_ids)  # (N, T, H)
        if token_type_ids is not None:
            x = x + self.token_type_embeddings(token_type_ids)
        return x

    def encode(self, hidden, attention_mask):
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (N, T, 1)
        context = (hidden * mask).sum(1, keepdim=True) / mask.sum(1, keepdim=True)  # (N, 1, H)
        return torch.tanh(self.dense(hidden + context))  # every token sees the real ones

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        return self.encode(self.embed(input_ids, token_type_ids), attention_mask)


TASKS = {
    "sst": TaskConfig("linear", "ce"),
    "para": TaskConfig("S-CD", "bce"),
    "sts": TaskConfig("S-CS", "mse"),
}


def _encoded(n: int, seed: int = 0) -> Encoded:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, VOCAB, (n, T), generator=g)
    mask = torch.ones(n, T, dtype=torch.long)
    mask[0, T // 2 :] = 0  # one padded row
    ids[mask == 0] = 0
    return Encoded(ids, mask, torch.zeros(n, T, dtype=torch.long))


def _batch(task: str, form: str, b: int = 3) -> Batch:
    n = 2 * b if form == "siamese" else b
    labels = torch.randint(0, 5, (b,)) if task == "sst" else torch.rand(b) * 5
    if task == "para":
        labels = labels.round().clamp(0, 1)
    return Batch(task, form, _encoded(n), labels, [f"{task}{i}" for i in range(b)])


def _model(tasks=None, **kwargs) -> MultitaskModel:
    torch.manual_seed(0)
    return MultitaskModel(TinyEncoder(), tasks or TASKS, dropout=0.0, **kwargs).eval()


def test_input_form_follows_the_head():
    model = _model({**TASKS, "para": TaskConfig("CE", "bce")})
    assert [model.input_form(t) for t in ("sst", "para", "sts")] == ["single", "cross", "siamese"]
    with pytest.raises(ValueError, match=r"\['sst'\]"):
        _model({"sst": TASKS["sst"]}).input_form("sts")


def test_output_shapes_per_task():
    model = _model()
    assert model(_batch("sst", "single")).shape == (3, 5)
    para = model(_batch("para", "siamese"))
    assert isinstance(para, PairOutput) and para.score.shape == (3,) and para.u.shape == (3, H)
    sts = model(_batch("sts", "siamese"))
    assert sts.score.shape == (3,) and (sts.score >= 0).all() and (sts.score <= 5).all()
    cross = _model({"sts": TaskConfig("CE", "mse")})(_batch("sts", "cross"))
    assert cross.score.shape == (3,) and cross.u is None


def test_siamese_split_pairs_row_i_with_row_b_plus_i():
    # rows :B are sentences a, rows B: the same sentences in the same order: every cos is 1
    model = _model()
    enc = _encoded(3)
    stacked = Encoded(*(torch.cat([t, t]) for t in enc.tensors()))
    out = model(Batch("sts", "siamese", stacked, torch.zeros(3), ["0", "1", "2"]))
    torch.testing.assert_close(out.score, torch.full((3,), 5.0))
    torch.testing.assert_close(F.cosine_similarity(out.u, out.v, dim=-1), torch.ones(3))
    # an interleaved reading (rows 0/1, 2/3, 4/5) would pair different sentences
    interleaved = F.cosine_similarity(out.u, out.u[[1, 2, 0]], dim=-1)
    assert (interleaved < 0.999).all()


def test_forward_is_embed_then_forward_from_embeddings():
    model = _model()
    batch = _batch("sst", "single")
    embeddings = model.embed(batch)
    assert embeddings.shape == (3, T, H)
    torch.testing.assert_close(model(batch), model.forward_from_embeddings(batch, embeddings))


def test_forward_from_embeddings_uses_the_given_embeddings():
    model = _model()
    batch = _batch("sst", "single")
    embeddings = model.embed(batch)
    moved = model.forward_from_embeddings(batch, embeddings + 0.5)
    assert not torch.allclose(moved, model(batch))


def test_mean_pooling_averages_real_tokens_only():
    hidden = torch.arange(2 * 3 * 1, dtype=torch.float).view(2, 3, 1)  # (N=2, T=3, H=1)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    torch.testing.assert_close(pool(hidden, mask, "mean"), torch.tensor([[0.5], [4.0]]))
    torch.testing.assert_close(pool(hidden, mask, "cls"), torch.tensor([[0.0], [3.0]]))
    with pytest.raises(ValueError, match=r"\['cls', 'mean'\]"):
        pool(hidden, mask, "max")


def test_mean_pooling_model_ignores_padding_tokens():
    model = _model(pooling="mean")
    batch = _batch("sst", "single")
    before = model(batch)
    batch.inputs.input_ids[0, T // 2 :] = 7  # change only padded positions of row 0
    torch.testing.assert_close(model(batch), before)


def test_shared_trunk_sits_between_pooling_and_every_head():
    model = _model(shared_trunk=True)
    assert isinstance(model.trunk, SharedTrunk)
    batch = _batch("sst", "single")
    hidden = model.encoder(*batch.inputs.tensors())  # ids, mask, token types
    expected = model.heads["sst"](model.trunk(hidden[:, 0]))
    torch.testing.assert_close(model(batch), expected)
    assert _model().trunk is None


def test_a_batch_in_the_wrong_form_is_rejected():
    with pytest.raises(ValueError, match="siamese"):
        _model()(_batch("sts", "cross"))


def test_from_config_builds_heads_pooling_and_trunk():
    config = RunConfig(tasks=dict(TASKS), pooling="mean", shared_trunk=True, dropout=0.3)
    model = MultitaskModel.from_config(TinyEncoder(), config)
    assert set(model.heads) == {"sst", "para", "sts"}
    assert model.pooling == "mean" and model.trunk is not None
    assert model.heads["sst"].dropout.p == 0.3


def test_loss_and_smart_backpropagate_into_the_encoder():
    model = _model({"para": TaskConfig("S-CS", "bce")}).train()
    batch = _batch("para", "siamese")
    embeddings = model.embed(batch)
    outputs = model.forward_from_embeddings(batch, embeddings)
    loss = make_loss("para", "bce")(outputs, batch.labels)
    smart = SmartRegularizer(1.0, epsilon=0.1)
    loss = loss + smart(lambda e: model.forward_from_embeddings(batch, e), embeddings, outputs)
    loss.backward()
    assert model.encoder.word_embeddings.weight.grad.any()
    assert model.encoder.dense.weight.grad.any()
    assert model.heads["para"].scale.grad is not None


def test_an_identity_projection_scores_the_pretrained_cosine(data_dir) -> None:
    from minbert_lab.config import RunConfig, TaskConfig
    from minbert_lab.data.collate import make_batches
    from minbert_lab.data.splits import load_split
    from minbert_lab.encoder import MinBert
    from minbert_lab.experiments.zero_shot import pair_cosines
    from minbert_lab.model import MultitaskModel

    config = RunConfig(tasks={"sts": TaskConfig("siamese_cosine", "mse")}, pooling="mean",
                       pair_projection="identity")
    encoder = MinBert.from_pretrained("minilm-l6", add_pooler=False)
    model = MultitaskModel.from_config(encoder, config).eval()
    dev = load_split("sts", "dev", limit=16, data_dir=data_dir)
    (batch,) = make_batches(dev, "siamese", batch_size=16, max_length=64, shuffle=False,
                            bucket=False)
    with torch.no_grad():
        score = model(batch).score
    cos = pair_cosines(encoder.eval(), dev, max_length=64)
    assert torch.allclose(score, torch.tensor(2.5 * (cos + 1)), atol=1e-5)


@pytest.mark.parametrize("task", ["sts", "para"])
def test_a_fresh_hybrid_head_scores_the_pretrained_cosine(task: str, data_dir) -> None:
    from minbert_lab.data.collate import make_batches
    from minbert_lab.data.splits import load_split
    from minbert_lab.encoder import MinBert
    from minbert_lab.experiments.zero_shot import pair_cosines
    from minbert_lab.model import MultitaskModel

    loss = "mse" if task == "sts" else "bce"
    config = RunConfig(tasks={task: TaskConfig("CE+CS", loss)})  # CLS pooling for the pairs
    encoder = MinBert.from_pretrained("minilm-l6", add_pooler=False)
    model = MultitaskModel.from_config(encoder, config).eval()
    dev = load_split(task, "dev", limit=8, data_dir=data_dir)
    (batch,) = make_batches(dev, "hybrid", batch_size=8, max_length=64, shuffle=False,
                            bucket=False)
    assert batch.inputs.input_ids.shape[0] == 3 * 8
    with torch.no_grad():
        out = model(batch)
    cos = torch.tensor(pair_cosines(encoder.eval(), dev, max_length=64))
    expected = 5 * cos if task == "sts" else 5 * cos - 2.5
    assert torch.allclose(out.score, expected, atol=1e-5)
