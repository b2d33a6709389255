"""The minBERT encoder and its checkpoint loading."""

from __future__ import annotations

from minbert_lab.encoder.bert import BertConfig, MinBert

__all__ = ["BertConfig", "MinBert"]
