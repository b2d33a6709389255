"""The minBERT encoder and its checkpoint loading."""

from __future__ import annotations

from minbert_lab.model.bert import BertConfig, MinBert

__all__ = ["BertConfig", "MinBert"]
