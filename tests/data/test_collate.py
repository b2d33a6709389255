"""Batches in every input form (``data/collate.py``): cross-encoded pairs as the tokenizer
makes them, padding masks, length bucketing, fixed-length padding."""

from __future__ import annotations

from pathlib import Path

import torch

from minbert_lab.data.collate import cross_pair, make_batches
from minbert_lab.data.splits import load_split
from minbert_lab.data.tokenized import load_tokenizer


def test_cross_pair_matches_the_tokenizer_on_real_pairs(data_dir: Path) -> None:
    data = load_split("sts", "dev", data_dir=data_dir, limit=20)
    tokenizer = load_tokenizer("minilm-l6")
    for i in range(len(data)):
        row = data.frame.iloc[i]
        expected = tokenizer(row.sentence1, row.sentence2)
        ids, types = cross_pair(data.a[i], data.b[i], 512)
        assert ids.tolist() == expected["input_ids"]
        assert types.tolist() == expected["token_type_ids"]


def test_cross_pair_truncates_longest_first_and_keeps_separators() -> None:
    a = torch.tensor([101, *range(1000, 1030), 102])
    b = torch.tensor([101, *range(2000, 2005), 102])
    ids, types = cross_pair(a, b, 16)
    assert len(ids) == 16 and ids[0] == 101 and ids[-1] == 102
    assert (ids == 102).sum() == 2
    assert types.tolist() == [0] * 10 + [1] * 6  # b kept whole (5 tokens + [SEP])


def test_batch_shapes_and_padding_masks(data_dir: Path) -> None:
    data = load_split("para", "dev", data_dir=data_dir, limit=100)
    siamese = make_batches(data, "siamese", batch_size=16, max_length=32, seed=1)
    assert sum(b.size for b in siamese) == 100
    first = siamese[0]
    assert first.inputs.input_ids.shape[0] == 2 * first.size
    assert first.inputs.input_ids.shape[1] <= 32
    ids, mask = first.inputs.input_ids, first.inputs.attention_mask
    assert torch.equal(mask.bool(), ids != 0)  # padding is exactly where the mask is 0
    assert (mask.sum(1) > 0).all() and (mask[:, 0] == 1).all()
    cross = make_batches(data, "cross", batch_size=16, max_length=32, seed=1)
    assert all(b.inputs.input_ids.shape[0] == b.size for b in cross)
    assert all((b.inputs.token_type_ids * (1 - b.inputs.attention_mask)).sum() == 0 for b in cross)
    single = make_batches(load_split("sst", "dev", data_dir=data_dir, limit=50), "single",
                          batch_size=8, max_length=16)
    assert all(b.inputs.input_ids.shape[1] <= 16 for b in single)
    assert all(b.labels.dtype == torch.int64 for b in single)


def test_bucketing_is_seeded_random_and_pads_less(data_dir: Path) -> None:
    data = load_split("para", "train", data_dir=data_dir, limit=2000)

    def padded_tokens(batches) -> int:
        return sum(b.inputs.input_ids.numel() for b in batches)

    one = make_batches(data, "cross", batch_size=32, max_length=128, seed=3, bucket=True)
    again = make_batches(data, "cross", batch_size=32, max_length=128, seed=3, bucket=True)
    other = make_batches(data, "cross", batch_size=32, max_length=128, seed=4, bucket=True)
    plain = make_batches(data, "cross", batch_size=32, max_length=128, seed=3, bucket=False)
    assert [b.ids for b in one] == [b.ids for b in again]
    assert [b.ids for b in one] != [b.ids for b in other]
    assert sorted(i for b in one for i in b.ids) == sorted(data.frame["id"])
    assert padded_tokens(one) < 0.8 * padded_tokens(plain)


def test_pad_to_gives_fixed_length_batches(data_dir: Path) -> None:
    data = load_split("sst", "dev", data_dir=data_dir, limit=40)
    batches = make_batches(data, "single", batch_size=16, max_length=128, pad_to=128)
    assert {b.inputs.input_ids.shape[1] for b in batches} == {128}
