"""Tokenize each split once and keep it on disk, keyed by tokenizer and file checksum.

Sentences are stored as one flat ``int32`` tensor plus offsets (a ragged array), which loads
with ``torch.load(weights_only=True)`` and costs no Python objects per sentence.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from transformers import AutoTokenizer

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT, resolve_checkpoint
from minbert_lab.data.batch import CPU

MODEL_MAX_TOKENS = 512


@dataclass
class Ragged:
    """Token-id sequences of varying length: ``i`` is ``values[offsets[i]:offsets[i+1]]``."""

    values: torch.Tensor  # (total,) int32
    offsets: torch.Tensor  # (n + 1,) int64

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> torch.Tensor:
        return self.offsets[1:] - self.offsets[:-1]  # (n,)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def select(self, index: torch.Tensor) -> Ragged:
        pieces = [self[int(i)] for i in index]
        lengths = torch.tensor([len(p) for p in pieces], dtype=torch.int64, device=CPU)
        offsets = torch.zeros(len(pieces) + 1, dtype=torch.int64, device=CPU)
        offsets[1:] = torch.cumsum(lengths, 0)
        values = torch.cat(pieces) if pieces else torch.zeros(0, dtype=torch.int32, device=CPU)
        return Ragged(values, offsets)

    @classmethod
    def from_lists(cls, seqs: list[list[int]]) -> Ragged:
        lengths = torch.tensor([len(s) for s in seqs], dtype=torch.int64, device=CPU)
        offsets = torch.zeros(len(seqs) + 1, dtype=torch.int64, device=CPU)
        offsets[1:] = torch.cumsum(lengths, 0)
        values = torch.tensor([t for s in seqs for t in s], dtype=torch.int32, device=CPU)
        return cls(values, offsets)


@lru_cache(maxsize=4)
def load_tokenizer(checkpoint: str = DEFAULT_CHECKPOINT):
    """The checkpoint's fast tokenizer.

    Loaded with ``AutoTokenizer.from_pretrained(folder)``: under transformers 5.x,
    ``BertTokenizerFast(vocab_file=...)`` silently maps every word to ``[UNK]``.
    """
    return AutoTokenizer.from_pretrained(resolve_checkpoint(checkpoint))


def tokenizer_fingerprint(checkpoint: str) -> str:
    """A hash of the files that decide token ids (vocabulary and tokenizer settings)."""
    folder = resolve_checkpoint(checkpoint)
    digest = hashlib.sha256()
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        path = folder / name
        if path.is_file():
            digest.update(name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def tokenize(texts: list[str], checkpoint: str) -> Ragged:
    """``[CLS] text [SEP]`` ids for each text, cut at the model's 512 positions."""
    encoded = load_tokenizer(checkpoint)(
        texts, truncation=True, max_length=MODEL_MAX_TOKENS, add_special_tokens=True
    )["input_ids"]
    return Ragged.from_lists(encoded)


def cached_tokenize(texts: list[str], checkpoint: str, file_sha256: str, column: str,
                    cache_dir: Path) -> Ragged:
    """:func:`tokenize`, stored under ``cache_dir`` by tokenizer + file checksum + column."""
    key = f"{tokenizer_fingerprint(checkpoint)}-{file_sha256[:16]}-{column}"
    path = Path(cache_dir) / f"tokens-{key}.pt"
    if path.is_file():
        try:
            stored = torch.load(path, map_location="cpu", weights_only=True)
            ragged = Ragged(stored["values"], stored["offsets"])
            if len(ragged) == len(texts):
                return ragged
        except Exception:  # a damaged cache entry is rebuilt, never trusted
            pass
    ragged = tokenize(texts, checkpoint)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tokens-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save({"values": ragged.values, "offsets": ragged.offsets}, tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return ragged
