"""The tiny BERT the encoder tests build in milliseconds: one definition for all of them."""

from __future__ import annotations

from minbert_lab.encoder.bert_config import BertConfig

TINY = BertConfig(
    vocab_size=50,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=24,
    max_position_embeddings=12,
)
