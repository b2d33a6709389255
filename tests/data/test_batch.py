"""What a step consumes (``data/batch.py``): a batch knows its size and moves whole."""

from __future__ import annotations

import torch

from minbert_lab.data.batch import Batch, Encoded


def _encoded(rows: int) -> Encoded:
    ids = torch.arange(rows * 3).view(rows, 3)
    return Encoded(ids, torch.ones_like(ids), torch.zeros_like(ids))


def test_tensors_are_ids_mask_and_token_types_in_that_order():
    encoded = _encoded(2)
    ids, mask, types = encoded.tensors()
    assert ids is encoded.input_ids and mask is encoded.attention_mask
    assert types is encoded.token_type_ids


def test_a_siamese_batchs_size_counts_pairs_not_rows():
    batch = Batch("sts", "siamese", _encoded(4), torch.tensor([1.0, 2.0]), ["a", "b"])
    assert batch.size == 2 and batch.inputs.input_ids.shape[0] == 4


def test_to_moves_every_tensor_and_keeps_the_rest():
    batch = Batch("sst", "single", _encoded(2), torch.tensor([0, 4]), ["a", "b"])
    moved = batch.to("meta")
    assert (moved.task, moved.form, moved.ids) == ("sst", "single", ["a", "b"])
    assert all(t.device.type == "meta" for t in (*moved.inputs.tensors(), moved.labels))
    assert batch.labels.device.type == "cpu"  # the original stays where it was
