"""minBERT Lab: multitask fine-tuning of a BERT encoder on SST-5, Quora and STS-B."""

from __future__ import annotations

__version__ = "0.1.0"
