"""The shape of a BERT encoder, read from a Hugging Face ``config.json``."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch.nn.functional as F

ACTIVATIONS = {
    "gelu": F.gelu,  # exact, via erf, as in the original BERT and HF's "gelu"
    "relu": F.relu,
    "gelu_new": partial(F.gelu, approximate="tanh"),  # GPT-2's tanh approximation
}


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
