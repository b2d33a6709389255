"""Task heads: what turns pooled sentence embeddings into a task's scores.

One class per head of the study (see ``config.HEADS``):

- ``SentimentHead`` ("linear", SST): dropout + one linear layer -> 5 logits.
- ``SiameseConcatDiffHead`` (``siamese_concat_diff``, the paper's S-CD): each sentence
  embedding through the same projection, then ``[u, v, |u - v|]`` -> linear -> one score per
  pair (Reimers and Gurevych, 2019).
- ``SiameseCosineHead`` (``siamese_cosine``, S-CS): the cosine of the two projected
  embeddings, as a logit for paraphrase or rescaled to the 0-5 label range for similarity.
- ``CrossEncoderHead`` (``cross_encoder``, CE): one linear layer over the pooled embedding of
  ``[CLS] a [SEP] b [SEP]`` (Devlin et al., 2018).
- ``CrossEncoderCosineHead`` (``cross_encoder_cosine``, ours, CE+CS): the cosine of the two
  sentences' own embeddings, as S-CS scores it, plus a cross-encoder's correction.

Pair heads return a ``PairOutput``: the score a loss or a metric reads, plus the projected
sentence embeddings ``u`` and ``v`` that the embedding losses (MNR, cosine embedding) need.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from minbert_lab.config import HEADS, TASKS, head_name

# Which batch form each head consumes (see ``data.batch.Batch``).
HEAD_FORMS = {"linear": "single", "cross_encoder": "cross", "siamese_concat_diff": "siamese",
              "siamese_cosine": "siamese", "cross_encoder_cosine": "hybrid"}


class PairOutput(NamedTuple):
    """What a sentence-pair head returns.

    ``score`` is a logit for paraphrase and a 0-5 rating for similarity; ``u`` and ``v`` are the
    projected sentence embeddings of a Siamese head (``None`` for the cross-encoder).
    """

    score: torch.Tensor  # (B,)
    u: torch.Tensor | None  # (B, D)
    v: torch.Tensor | None  # (B, D)


class SharedTrunk(nn.Module):
    """The paper's weight sharing: one Linear + ReLU applied to every task's pooled embedding."""

    def __init__(self, *, hidden: int):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.dense(x))  # (N, H)


class TaskHead(nn.Module):
    """A task's head over the encoder's outputs. Built by name through ``HEAD_CLASSES`` and
    :meth:`for_task`."""

    @classmethod
    def for_task(cls, task: str, *, hidden: int, dropout: float) -> TaskHead:
        """This head for ``task`` (only the cosine heads read the task: its score range)."""
        return cls(hidden=hidden, dropout=dropout)


class SiameseHead(TaskHead):
    """A head that projects each sentence's embedding on its own (``to_proj``) and compares
    the two: the projection can start as the identity."""

    to_proj: nn.Linear

    def start_as_identity(self) -> None:
        """``to_proj`` becomes the identity: a fresh head scores the pretrained embeddings."""
        with torch.no_grad():
            nn.init.eye_(self.to_proj.weight)
            self.to_proj.bias.zero_()


class CosineScoreHead(TaskHead):
    """A pair head whose score starts from a cosine, read by task: for ``"para"`` a logit
    ``scale * cos + bias`` for binary cross-entropy (learnable ``scale`` and ``bias``); for
    ``"sts"`` a 0-5 rating (each subclass says how it maps the cosine there)."""

    # Initial logit = 5 * (cos - 0.5). Why these numbers:
    # - A cosine lives in [-1, 1]; as a raw logit it caps sigmoid at 0.73, so BCE could never
    #   be confident. Scale 5 lets a pair reach p = 0.92 at cos = 1 and p = 0.08 at cos = 0.
    # - The bias puts the decision boundary at cos = 0.5, the same rule the MNR and cosine
    #   embedding losses use to predict (``losses.COSINE_THRESHOLD``), so all three para losses
    #   on this head start from one decision rule.
    # - Init matters more than it looks: AdamW moves a scalar by about ``lr`` per step, i.e.
    #   ~0.1 over the paper's whole run at lr 1e-5, so these two values stay close to where they
    #   start and the encoder learns to place cosines around them.
    INIT_SCALE = 5.0
    INIT_BIAS = -2.5

    @classmethod
    def for_task(cls, task: str, *, hidden: int, dropout: float) -> CosineScoreHead:
        return cls(hidden=hidden, dropout=dropout, task=task)

    def _read_cosines_for(self, task: str) -> None:
        """Keeps ``task`` and, for paraphrase, makes the logit's ``scale`` and ``bias``."""
        if task not in ("para", "sts"):
            raise ValueError(f"task={task!r} is not valid; choose one of ['para', 'sts']")
        self.task = task
        if task == "para":
            self.scale = nn.Parameter(torch.tensor(self.INIT_SCALE))
            self.bias = nn.Parameter(torch.tensor(self.INIT_BIAS))

    def cosine_score(self, cos: torch.Tensor) -> torch.Tensor:
        """The task's score of ``cos``: the paraphrase logit, or the STS rating."""
        return self.scale * cos + self.bias if self.task == "para" else self.sts_rating(cos)

    @staticmethod
    def sts_rating(cos: torch.Tensor) -> torch.Tensor:
        """A cosine on the 0-5 STS scale."""
        raise NotImplementedError


class SentimentHead(TaskHead):
    """Dropout and a linear layer over the sentence embedding: ``(B, H) -> (B, num_classes)``."""

    def __init__(self, *, hidden: int, num_classes: int = 5, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.to_logits = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_logits(self.dropout(x))  # (B, C)


class SiameseConcatDiffHead(SiameseHead):
    """S-CD: ``[u, v, |u - v|] -> Linear -> score`` with ``u``, ``v`` the projected sentences.

    Both sentences go through the *same* projection: a Siamese network ties its two towers, so
    swapping ``a`` and ``b`` swaps ``u`` and ``v`` and leaves ``|u - v|`` unchanged.
    """

    def __init__(self, *, hidden: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.to_proj = nn.Linear(hidden, hidden)
        self.to_score = nn.Linear(3 * hidden, 1)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> PairOutput:
        u = self.to_proj(self.dropout(a))  # (B, H)
        v = self.to_proj(self.dropout(b))  # (B, H)
        features = torch.cat([u, v, (u - v).abs()], dim=-1)  # (B, 3H)
        return PairOutput(self.to_score(features).squeeze(-1), u, v)


class SiameseCosineHead(SiameseHead, CosineScoreHead):
    """S-CS: the cosine similarity of the two projected sentence embeddings.

    For ``"sts"`` the score is ``2.5 * (cos + 1)``, the cosine mapped onto the 0-5 rating scale,
    so MSE compares like with like. For ``"para"`` the score is a logit
    ``scale * cos + bias`` for binary cross-entropy, with learnable ``scale`` and ``bias``.
    """

    def __init__(self, *, hidden: int, dropout: float, task: str):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.to_proj = nn.Linear(hidden, hidden)
        self._read_cosines_for(task)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> PairOutput:
        u = self.to_proj(self.dropout(a))  # (B, H)
        v = self.to_proj(self.dropout(b))  # (B, H)
        cos = F.cosine_similarity(u, v, dim=-1)  # (B,)
        return PairOutput(self.cosine_score(cos), u, v)

    @staticmethod
    def sts_rating(cos: torch.Tensor) -> torch.Tensor:
        return 2.5 * (cos + 1)  # (B,)


class CrossEncoderHead(TaskHead):
    """CE: dropout and a linear layer over the pooled ``[CLS] a [SEP] b [SEP]`` embedding."""

    def __init__(self, *, hidden: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.to_score = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> PairOutput:
        return PairOutput(self.to_score(self.dropout(x)).squeeze(-1), None, None)  # (B,)


class CrossEncoderCosineHead(CosineScoreHead):
    """CE+CS: ``cosine score + cross-encoder correction``.

    A Siamese cosine head keeps what a sentence encoder such as all-MiniLM-L6-v2 already knows
    (its pretrained cosine scores STS at r 0.84 with no training), but cannot compare the two
    sentences word by word; a cross-encoder can, but starts from an encoder never trained on
    joined pairs. This head adds them: the cosine of the two sentences' mean-pooled embeddings
    (no projection, so a fresh head scores exactly the pretrained cosine), plus one linear layer
    over the pooled ``[CLS] a [SEP] b [SEP]``, initialised at zero so that training starts from
    the cosine alone and learns the cross-encoder's correction.

    For STS the cosine maps onto the 0-5 scale as ``5 * cos`` (Sentence-BERT's convention,
    label / 5 as the cosine's target), not S-CS's ``2.5 * (cos + 1)``: a sentence encoder puts
    unrelated sentences near cos 0, not -1, and pulling them to -1 tears up what it learnt
    (all data, 2 epochs: S-CS with an identity projection and mean pooling fell from the
    pretrained r 0.838 to 0.714). For paraphrase the logit is ``scale * cos + bias`` as in S-CS.
    """

    def __init__(self, *, hidden: int, dropout: float, task: str):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.to_correction = nn.Linear(hidden, 1)
        with torch.no_grad():
            self.to_correction.weight.zero_()
            self.to_correction.bias.zero_()
        self._read_cosines_for(task)

    def forward(self, pair: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> PairOutput:
        cos = F.cosine_similarity(a, b, dim=-1)  # (B,)
        correction = self.to_correction(self.dropout(pair)).squeeze(-1)  # (B,)
        return PairOutput(self.cosine_score(cos) + correction, a, b)

    @staticmethod
    def sts_rating(cos: torch.Tensor) -> torch.Tensor:
        return 5.0 * cos  # (B,)


# Every head by its config name (``config.HEADS``); ``tests/test_heads.py`` checks that each
# name the config lists builds its own class.
HEAD_CLASSES: dict[str, type[TaskHead]] = {
    "linear": SentimentHead,
    "siamese_concat_diff": SiameseConcatDiffHead,
    "siamese_cosine": SiameseCosineHead,
    "cross_encoder": CrossEncoderHead,
    "cross_encoder_cosine": CrossEncoderCosineHead,
}


def make_head(task: str, head: str, *, hidden: int, dropout: float,
              projection: str = "random") -> TaskHead:
    """Builds the head named ``head`` (see ``config.HEADS``) for ``task``.

    ``projection="identity"`` starts a Siamese head's projection as the identity (after the
    random draw, so every other weight is initialised as with ``"random"``).

    Raises:
        ValueError: unknown task, or a head that does not fit the task.
    """
    if task not in TASKS:
        raise ValueError(f"task={task!r} is not valid; choose one of {list(TASKS)}")
    head = head_name(head)
    if head not in HEADS[task]:
        raise ValueError(
            f"head={head!r} is not valid for {task}; choose one of {list(HEADS[task])}"
        )
    module = HEAD_CLASSES[head].for_task(task, hidden=hidden, dropout=dropout)
    if projection == "identity" and isinstance(module, SiameseHead):
        module.start_as_identity()  # after the random draw: every other weight as "random"
    return module
