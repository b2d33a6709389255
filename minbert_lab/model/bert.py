"""The minBERT encoder: BERT in one readable file, loadable key for key from Hugging Face.

Parameter names follow ``transformers``' ``modeling_bert.py`` exactly (``LayerNorm`` stays
capitalised, ``attention.self.query`` keeps its odd ``self``), so a checkpoint's state dict
copies in without a renaming table; see ``loading.py``. The maths follows BERT: post-LN
residual blocks, exact (erf) GELU, absolute learned positions, no decoder and no cache.

Speed (measured on the project's 2-core CPU, see ``benchmarks/RESULTS.md``): in a padded batch
every layer but attention runs on the real tokens only (``Padding``); the query, key and value
projections are one matmul; dropout draws its random mask four elements per 64-bit word; and CPU
training computes attention explicitly, because SDPA has no CPU kernel with dropout.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT, resolve_checkpoint
from minbert_lab.model.loading import load_weights

ACTIVATIONS = {
    "gelu": F.gelu,  # exact, via erf, as in the original BERT and HF's "gelu"
    "relu": F.relu,
    "gelu_new": partial(F.gelu, approximate="tanh"),  # GPT-2's tanh approximation
}
ATTN_IMPLEMENTATIONS = ("sdpa", "manual")


@dataclass
class BertConfig:
    """The shape of a BERT encoder, with the field names of Hugging Face's ``config.json``."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_attention_heads"
                f" ({self.num_attention_heads})"
            )
        if self.hidden_act not in ACTIVATIONS:
            raise ValueError(
                f"hidden_act must be one of {sorted(ACTIVATIONS)}, got {self.hidden_act!r}"
            )
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> BertConfig:
        """Builds a config from a ``config.json`` dict, ignoring keys it has no field for.

        Raises:
            ValueError: a value is invalid, or the checkpoint uses relative position embeddings,
                which this encoder does not implement.
        """
        # Silently computing absolute positions for a relative-position model would be wrong.
        position_type = values.get("position_embedding_type", "absolute")
        if position_type != "absolute":
            raise ValueError(f"position_embedding_type must be 'absolute', got {position_type!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})

    @classmethod
    def from_folder(cls, folder: str | os.PathLike) -> BertConfig:
        """Reads ``config.json`` from a Hugging Face model folder."""
        return cls.from_dict(json.loads((Path(folder) / "config.json").read_text()))


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """``F.dropout`` with a cheaper random mask on CPU.

    On CPU ``F.dropout`` draws one float per element through ``bernoulli_`` (about 6 ns each here,
    a tenth of a MiniLM training step). Reading each 64-bit word of the generator as four 16-bit
    uniforms needs a quarter of the draws, at the price of rounding ``p`` to a multiple of 1/65536
    (0.1 becomes 0.100006). ``torch.manual_seed`` still fixes the masks. Other devices keep
    ``F.dropout``'s fused kernel.
    """
    if not training or p == 0.0:
        return x
    if x.device.type != "cpu":
        return F.dropout(x, p, training=True)
    n = x.numel()
    words = torch.empty((n + 3) // 4, dtype=torch.int64).random_(-(2**63), None)  # all 64 bits
    uniform = words.view(torch.int16)[:n].view(x.shape)  # each in [-32768, 32767]
    keep = uniform >= round(p * 65536) - 32768  # True with probability 1 - p
    return x * (keep * (1.0 / (1.0 - p)))  # one multiply in the backward pass, not two


class Dropout(nn.Dropout):
    """``nn.Dropout`` (same ``p``, same place in the module tree) running ``dropout`` above."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training)


@dataclass
class Padding:
    """Where a padded batch's N real tokens sit in its (B, T) grid.

    Everything in a layer except attention works token by token, so it runs on the (N, H) real
    tokens alone: a batch that is a quarter padding then costs a quarter less matmul. Attention
    alone needs the grid, and gets it back with ``pad``.
    """

    mask: torch.Tensor  # (B, 1, 1, T) bool, True where the key is a real token
    index: torch.Tensor  # (N,) positions of the real tokens in the flattened (B * T) grid

    @classmethod
    def of(cls, attention_mask: torch.Tensor | None) -> Padding | None:
        """None for a batch without padding: it needs neither a mask nor packing."""
        if attention_mask is None:
            return None
        index = attention_mask.flatten().nonzero().squeeze(1)  # waits for a GPU, once a batch
        if len(index) == attention_mask.numel():
            return None
        return cls(attention_mask.bool()[:, None, None, :], index)

    def unpad(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, D) -> (N, D), the real tokens in order."""
        return x.reshape(-1, x.size(-1)).index_select(0, self.index)

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        """(N, D) -> (B, T, D), zeros at the padded positions."""
        B, T = self.mask.size(0), self.mask.size(-1)
        # In place: index_copy (no underscore) would first copy the zeros.
        grid = x.new_zeros(B * T, x.size(-1)).index_copy_(0, self.index, x)
        return grid.view(B, T, -1)


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
    def __init__(self, config: BertConfig, attn_implementation: str):
        super().__init__()
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.n_head = config.num_attention_heads
        self.dropout_p = config.attention_probs_dropout_prob
        self.attn_implementation = attn_implementation

    def forward(self, x: torch.Tensor, padding: Padding | None) -> torch.Tensor:
        """(B, T, H) -> (B, T, H), or, with ``padding``, (N, H) real tokens -> (N, H)."""
        H = x.size(-1)
        hs = H // self.n_head
        # One (H -> 3H) matmul instead of three (H -> H) ones: fewer kernel launches on a GPU; on
        # the 2-core CPU a wash (the matmul time saved about pays for the concatenation). The
        # weights stay three parameters named as in Hugging Face, so state_dict() keeps its keys.
        weight = torch.cat([self.query.weight, self.key.weight, self.value.weight])  # (3H, H)
        bias = torch.cat([self.query.bias, self.key.bias, self.value.bias])  # (3H,)
        qkv = F.linear(x, weight, bias)  # (B, T, 3H) or (N, 3H)
        mask = None
        if padding is not None:
            qkv, mask = padding.pad(qkv), padding.mask  # (B, T, 3H), (B, 1, 1, T)
        B, T, _ = qkv.shape
        q, k, v = qkv.view(B, T, 3, self.n_head, hs).permute(2, 0, 3, 1, 4)  # 3 x (B, nh, T, hs)
        dropout_p = self.dropout_p if self.training else 0.0
        # SDPA has no CPU kernel with dropout: it falls back to the explicit maths below, with
        # more masking work and a slower dropout mask, so CPU training takes the explicit path.
        if self.attn_implementation == "sdpa" and not (dropout_p and x.device.type == "cpu"):
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
        y = y.transpose(1, 2).reshape(B, T, H)  # heads side by side again
        return y if padding is None else padding.unpad(y)


class BertAddNorm(nn.Module):
    """Projects, drops out and adds the residual before LayerNorm: BERT's post-LN sublayer exit.

    It is HF's ``BertSelfOutput`` (``attention.output``) and ``BertOutput`` (``output``) at once;
    the two differ only in their input width.
    """

    def __init__(self, in_features: int, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(in_features, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)  # (B, T, H)


class BertLayer(nn.Module):
    def __init__(self, config: BertConfig, attn_implementation: str):
        super().__init__()
        H, D_ff = config.hidden_size, config.intermediate_size
        # ModuleDicts only to reproduce HF's key paths: attention.self.*, intermediate.dense.*
        self.attention = nn.ModuleDict(
            {
                "self": BertSelfAttention(config, attn_implementation),
                "output": BertAddNorm(H, config),
            }
        )
        self.intermediate = nn.ModuleDict({"dense": nn.Linear(H, D_ff)})
        self.output = BertAddNorm(D_ff, config)
        self.act = ACTIVATIONS[config.hidden_act]

    def forward(self, x: torch.Tensor, padding: Padding | None) -> torch.Tensor:
        # x: (B, T, H), or (N, H) real tokens when the batch is padded; shapes below for the first.
        x = self.attention["output"](self.attention["self"](x, padding), x)  # (B, T, H)
        h = self.act(self.intermediate["dense"](x))  # (B, T, D_ff)
        return self.output(h, x)  # (B, T, H)


class MinBert(nn.Module):
    """A BERT encoder whose parameters are named like Hugging Face's ``BertModel``.

    ``embed`` and ``encode`` are separate steps because SMART perturbs the embedding output and
    runs the encoder again on it; ``forward`` is simply one after the other.

    Example:
        >>> model = MinBert.from_pretrained("minilm-l6")
        >>> hidden = model(input_ids, attention_mask)  # (B, T, 384)
        >>> sentence = model.pool(hidden)  # (B, 384)
    """

    def __init__(
        self, config: BertConfig, *, add_pooler: bool = True, attn_implementation: str = "sdpa"
    ):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = nn.ModuleDict(
            {
                "layer": nn.ModuleList(
                    BertLayer(config, attn_implementation) for _ in range(config.num_hidden_layers)
                )
            }
        )
        self.pooler = (
            nn.ModuleDict({"dense": nn.Linear(config.hidden_size, config.hidden_size)})
            if add_pooler
            else None
        )
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
        self._attn_implementation = name
        for layer in self.encoder["layer"]:
            layer.attention["self"].attn_implementation = name

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

    def encode(self, hidden: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        """Runs all layers on an embedding output (possibly perturbed).

        Args:
            hidden: (B, T, H) output of ``embed``.
            attention_mask: (B, T) with 1 for real tokens and 0 for padding; None attends to all.

        Returns:
            (B, T, H) last hidden state; zero at padded positions, which are never computed.
        """
        padding = Padding.of(attention_mask)
        x = hidden if padding is None else padding.unpad(hidden)  # (B, T, H) or (N, H)
        for layer in self.encoder["layer"]:
            x = layer(x, padding)
        return x if padding is None else padding.pad(x)

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
        return torch.tanh(self.pooler["dense"](hidden[:, 0]))  # (B, H)

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
            name_or_folder: anything ``resolve_checkpoint`` accepts: ``"minilm-l6"``, a local
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
        model = cls(config, add_pooler=add_pooler, attn_implementation=attn_implementation)
        load_weights(model, folder)
        return model.eval()
