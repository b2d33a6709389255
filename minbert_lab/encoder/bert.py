"""The minBERT encoder: BERT in one readable file, loadable key for key from Hugging Face.

The modules are ``transformers``' ``modeling_bert.py`` ones, cut down to the encoder
(``BertEmbeddings``, then per layer ``BertAttention`` = ``BertSelfAttention`` + ``BertSelfOutput``,
``BertIntermediate``, ``BertOutput``; ``BertPooler``), and their attributes carry Hugging Face's
names (``LayerNorm`` stays capitalised, ``attention.self.query`` keeps its odd ``self``), so a
checkpoint's state dict copies in without a renaming table; see ``loading.py``. The maths follows
BERT: post-LN residual blocks, exact (erf) GELU, absolute learned positions, no decoder and no
cache.

Speed (measured on the project's 2-core CPU, see ``benchmarks/RESULTS.md``): in a padded batch
every layer but attention runs on the real tokens only (``padding.py``); dropout draws its random
mask four elements per 64-bit word (``dropout.py``); and CPU training computes attention
explicitly, because SDPA has no CPU kernel with dropout.
"""

from __future__ import annotations

import dataclasses
import math
import os

import torch
import torch.nn.functional as F
from torch import nn

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT, resolve_checkpoint
from minbert_lab.encoder.bert_config import ACTIVATIONS, BertConfig
from minbert_lab.encoder.dropout import Dropout, dropout
from minbert_lab.encoder.loading import load_weights
from minbert_lab.encoder.padding import Padding

ATTN_IMPLEMENTATIONS = ("sdpa", "manual")


class BertEmbeddings(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(
            config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id
        )
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None) -> torch.Tensor:
        T = input_ids.size(1)
        # Positions are rebuilt on the fly rather than kept as a buffer, so the state dict holds
        # parameters only and checkpoints' stale ``position_ids`` buffers can simply be dropped.
        pos = torch.arange(T, device=input_ids.device)  # (T,)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        # Summed in Hugging Face's order (word + type, then position) for bitwise-close parity.
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = x + self.position_embeddings(pos)  # (B, T, H)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    """Multi-head scaled dot-product attention, SDPA and the explicit maths side by side."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.num_attention_heads = config.num_attention_heads
        # Attention dropout is a call, not a module: nn.Dropout would hold no state either.
        self.dropout_p = config.attention_probs_dropout_prob

    def forward(
        self, x: torch.Tensor, padding: Padding | None, attn_implementation: str
    ) -> torch.Tensor:
        """(B, T, H) -> (B, T, H), or, with ``padding``, (N, H) real tokens -> (N, H)."""
        q, k, v = self.project(x, padding)  # 3 x (B, nh, T, hs)
        B, nh, T, hs = q.shape
        mask = None if padding is None else padding.mask  # (B, 1, 1, T)
        dropout_p = self.dropout_p if self.training else 0.0
        # SDPA has no CPU kernel with dropout: it falls back to the explicit maths below, with
        # more masking work and a slower dropout mask, so CPU training takes the explicit path.
        if attn_implementation == "sdpa" and not (dropout_p and x.device.type == "cpu"):
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        else:
            # The explicit path: for debugging, for reading off attention weights, and for CPU
            # training.
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # (B, nh, T, T)
            if mask is not None:
                # The most negative float, as in BERT's additive mask, so exp() underflows to 0.
                # In place: att is a fresh product that no backward formula reads.
                att.masked_fill_(~mask, torch.finfo(att.dtype).min)
            att = F.softmax(att, dim=-1)
            att = dropout(att, dropout_p, self.training)
            y = att @ v  # (B, nh, T, hs)
        y = y.transpose(1, 2).reshape(B, T, nh * hs)  # (B, T, H), heads side by side again
        return y if padding is None else padding.unpad(y)  # (B, T, H) or (N, H)

    def project(
        self, x: torch.Tensor, padding: Padding | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The queries, keys and values of (B, T, H) or (N, H) tokens, each (B, nh, T, hs)."""
        # Three (H -> H) matmuls, as in Hugging Face. One (H -> 3H) matmul on the weights
        # concatenated at every call (minBERT's projection until issue #12) did not pay:
        # benchmarks/bench_qkv.py ("Fused vs separate Q/K/V" in benchmarks/RESULTS.md) timed
        # separate / fused at 0.99 for a training call and 1.03 for evaluation, one thread on
        # the shared 2-core CPU. Fused won (1.24x) only with two threads oversubscribed by other
        # processes, where two threads were 3.5x slower than one anyway.
        linears = (self.query, self.key, self.value)
        return tuple(self._heads(linear(x), padding) for linear in linears)

    def _heads(self, x: torch.Tensor, padding: Padding | None) -> torch.Tensor:
        if padding is not None:
            x = padding.pad(x)  # (N, H) -> (B, T, H): attention needs the grid
        B, T, H = x.shape
        nh = self.num_attention_heads
        return x.view(B, T, nh, H // nh).transpose(1, 2)  # (B, nh, T, hs)


class BertSelfOutput(nn.Module):
    """BERT's post-LN sublayer exit: project, drop out, add the residual, then LayerNorm.

    ``in_features`` is the sublayer's width: H after attention (``attention.output``).
    """

    def __init__(self, config: BertConfig, in_features: int | None = None):
        super().__init__()
        self.dense = nn.Linear(in_features or config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)  # (B, T, H)


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(
        self, x: torch.Tensor, padding: Padding | None, attn_implementation: str
    ) -> torch.Tensor:
        return self.output(self.self(x, padding, attn_implementation), x)  # (B, T, H)


class BertIntermediate(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = ACTIVATIONS[config.hidden_act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.intermediate_act_fn(self.dense(x))  # (B, T, D_ff)


class BertOutput(BertSelfOutput):
    """The feed-forward sublayer's exit (``output``): the same step from the D_ff width."""

    def __init__(self, config: BertConfig):
        super().__init__(config, in_features=config.intermediate_size)


class BertLayer(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(
        self, x: torch.Tensor, padding: Padding | None, attn_implementation: str
    ) -> torch.Tensor:
        # x: (B, T, H), or (N, H) real tokens when the batch is padded; shapes below for the first.
        x = self.attention(x, padding, attn_implementation)  # (B, T, H)
        return self.output(self.intermediate(x), x)  # (B, T, H)


class BertEncoder(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))

    def forward(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor | None, attn_implementation: str,
        top_layer: BertLayer | None = None,
    ) -> torch.Tensor:
        padding = Padding.of(attention_mask)
        x = hidden if padding is None else padding.unpad(hidden)  # (B, T, H) or (N, H)
        layers = self.layer if top_layer is None else [*self.layer[:-1], top_layer]
        for layer in layers:
            x = layer(x, padding, attn_implementation)
        return x if padding is None else padding.pad(x)  # (B, T, H)


class BertPooler(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))  # (B, H), from the [CLS] position


class MinBert(nn.Module):
    """A BERT encoder whose parameters are named like Hugging Face's ``BertModel``.

    ``embed`` and ``encode`` are separate steps because SMART perturbs the embedding output and
    runs the encoder again on it; ``forward`` is simply one after the other.

    Example:
        >>> model = MinBert.from_pretrained(DEFAULT_CHECKPOINT)
        >>> hidden = model(input_ids, attention_mask)  # (B, T, 384)
        >>> sentence = model.pool(hidden)  # (B, 384)
    """

    def __init__(
        self, config: BertConfig, *, add_pooler: bool = True, attn_implementation: str = "sdpa"
    ):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooler else None
        self.set_attn_implementation(attn_implementation)

    @property
    def attn_implementation(self) -> str:
        return self._attn_implementation

    def set_attn_implementation(self, name: str) -> None:
        """Switches every layer between ``"sdpa"`` (fused kernel) and ``"manual"`` (explicit)."""
        if name not in ATTN_IMPLEMENTATIONS:
            raise ValueError(
                f"attn_implementation must be one of {list(ATTN_IMPLEMENTATIONS)}, got {name!r}"
            )
        # Kept here only; encode hands it to every layer's attention.
        self._attn_implementation = name

    def embed(
        self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Word + position + token-type embeddings, LayerNorm and dropout.

        Args:
            input_ids: (B, T) token ids.
            token_type_ids: (B, T) segment ids; all zeros when omitted.

        Returns:
            (B, T, H) input to the first layer.
        """
        return self.embeddings(input_ids, token_type_ids)

    def encode(self, hidden: torch.Tensor, attention_mask: torch.Tensor | None,
               top_layer: nn.Module | None = None) -> torch.Tensor:
        """Runs all layers on an embedding output (possibly perturbed).

        Args:
            hidden: (B, T, H) output of ``embed``.
            attention_mask: (B, T) with 1 for real tokens and 0 for padding; None attends to all.
            top_layer: runs instead of the last layer (a task's private copy of it).

        Returns:
            (B, T, H) last hidden state; zero at padded positions, which are never computed.
        """
        return self.encoder(hidden, attention_mask, self._attn_implementation, top_layer)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Returns the last hidden state (B, T, H): ``encode(embed(...))``."""
        return self.encode(self.embed(input_ids, token_type_ids), attention_mask)

    def pool(self, hidden: torch.Tensor) -> torch.Tensor:
        """BERT's pooler: tanh of a dense layer on the [CLS] position, (B, T, H) -> (B, H).

        Raises:
            RuntimeError: the model was built with ``add_pooler=False``.
        """
        if self.pooler is None:
            raise RuntimeError("this MinBert has no pooler: it was built with add_pooler=False")
        return self.pooler(hidden)  # (B, H)

    @classmethod
    def from_pretrained(
        cls,
        name_or_folder: str | os.PathLike = DEFAULT_CHECKPOINT,
        *,
        add_pooler: bool = True,
        attn_implementation: str = "sdpa",
        hidden_dropout_prob: float | None = None,
        attention_probs_dropout_prob: float | None = None,
    ) -> MinBert:
        """Builds the encoder from a Hugging Face BERT checkpoint, key for key.

        The model comes back in eval mode, as with ``transformers``; call ``.train()`` to
        fine-tune.

        Args:
            name_or_folder: anything ``resolve_checkpoint`` accepts: ``DEFAULT_CHECKPOINT``, a local
                folder, or a hub name.
            add_pooler: build and load ``pooler.dense``; False drops the checkpoint's pooler.
            attn_implementation: ``"sdpa"`` or ``"manual"``.
            hidden_dropout_prob: overrides the checkpoint's value when given.
            attention_probs_dropout_prob: overrides the checkpoint's value when given.

        Raises:
            FileNotFoundError: no such checkpoint folder, or no weights in it.
            ValueError: the weights do not match the config (the error names the keys).
        """
        folder = resolve_checkpoint(name_or_folder)
        overrides = {
            "hidden_dropout_prob": hidden_dropout_prob,
            "attention_probs_dropout_prob": attention_probs_dropout_prob,
        }
        config = dataclasses.replace(
            BertConfig.from_folder(folder), **{k: v for k, v in overrides.items() if v is not None}
        )
        with torch.device("cpu"):  # built and loaded on the CPU, whatever the default device;
            # the caller moves it (``.to(device)``)
            model = cls(config, add_pooler=add_pooler, attn_implementation=attn_implementation)
        load_weights(model, folder)
        return model.eval()
