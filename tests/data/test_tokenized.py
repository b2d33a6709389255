"""Token ids (``data/tokenized.py``): pinned ids, the ragged store, and the on-disk cache keyed by
tokenizer, file checksum and column."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import minbert_lab.data.tokenized as tokenized
from minbert_lab.data.splits import load_split
from minbert_lab.data.tokenized import (
    MODEL_MAX_TOKENS,
    Ragged,
    cached_tokenize,
    tokenize,
    tokenizer_fingerprint,
)


def test_tokenizer_ids_are_pinned() -> None:
    # Under transformers 5.x, BertTokenizerFast(vocab_file=...) maps every word to [UNK] (100).
    ids = tokenize(["A man is playing a guitar."], "minilm-l6")[0].tolist()
    assert ids == [101, 1037, 2158, 2003, 2652, 1037, 2858, 1012, 102]


def test_tokenized_split_is_cached_on_disk(data_dir: Path) -> None:
    load_split("sts", "dev", data_dir=data_dir)
    cached = list((data_dir / "cache").glob("tokens-*.pt"))
    assert cached
    (data_dir / "cache" / cached[0].name).write_bytes(b"garbage")  # a damaged entry is rebuilt
    data = load_split("sts", "dev", data_dir=data_dir)
    assert len(data.a) == 863


def test_ragged_rows_lengths_and_selection():
    ragged = Ragged.from_lists([[101, 7, 102], [101, 102], [101, 5, 6, 102]])
    assert len(ragged) == 3 and ragged.lengths().tolist() == [3, 2, 4]
    assert ragged[2].tolist() == [101, 5, 6, 102] and ragged.values.dtype == torch.int32
    picked = ragged.select(torch.tensor([2, 0]))
    assert [picked[i].tolist() for i in range(len(picked))] == [[101, 5, 6, 102], [101, 7, 102]]
    assert len(ragged.select(torch.tensor([], dtype=torch.int64))) == 0


def test_tokenize_wraps_each_text_and_cuts_at_the_model_length():
    ids = tokenize(["a film", "word " * 600], "minilm-l6")
    assert ids[0][0].item() == 101 and ids[0][-1].item() == 102  # [CLS] ... [SEP]
    assert len(ids[1]) == MODEL_MAX_TOKENS


def test_the_cache_is_reused_per_file_and_column(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch):
    texts = ["A small test .", "Another one ."]
    calls = []
    real = tokenized.tokenize
    monkeypatch.setattr(tokenized, "tokenize", lambda *a: calls.append(a) or real(*a))
    first = cached_tokenize(texts, "minilm-l6", "a" * 64, "s1", tmp_path)
    again = cached_tokenize(texts, "minilm-l6", "a" * 64, "s1", tmp_path)
    assert len(calls) == 1 and torch.equal(first.values, again.values)
    cached_tokenize(texts, "minilm-l6", "a" * 64, "s2", tmp_path)  # another column
    cached_tokenize(texts, "minilm-l6", "b" * 64, "s1", tmp_path)  # another file
    assert len(calls) == 3 and len(list(tmp_path.glob("tokens-*.pt"))) == 3
    assert not list(tmp_path.glob(".*.tmp"))


def test_the_fingerprint_names_the_tokenizer_files():
    fingerprint = tokenizer_fingerprint("minilm-l6")
    assert len(fingerprint) == 16 and int(fingerprint, 16) >= 0
    assert tokenizer_fingerprint("minilm-l6") == fingerprint
