"""The benchmark's batches, FLOP count, bf16 check and contenders."""

from __future__ import annotations

import torch

from benchmarks import contenders
from benchmarks.contenders import (
    TINY,
    Workload,
    forward_flops,
    has_fast_bf16,
    make_batch,
    make_contenders,
    random_checkpoint,
    step_for,
)
from minbert_lab.encoder import BertConfig

CPU = torch.device("cpu")


def test_labels_name_the_workload():
    assert Workload("train", 32, 64).label == "train step, 32 x 64"
    assert Workload("eval", 8, 16, padded=False).label == "eval forward, 8 x 16, no padding"


def test_batches_are_padded_bert_inputs():
    ids, mask, labels = make_batch(Workload("train", 8, 16), 2000, CPU)
    lengths = mask.sum(1)
    assert ids.shape == mask.shape == (8, 16) and labels.shape == (8,)
    assert lengths[0] == 16 and lengths.min() >= 8 and lengths.sum() < 8 * 16
    assert (ids[:, 0] == 101).all() and (ids[mask == 0] == 0).all()
    assert (ids[torch.arange(8), lengths - 1] == 102).all()  # [SEP] closes every row
    _, full, _ = make_batch(Workload("train", 8, 16, padded=False), 2000, CPU)
    assert bool(full.all())


def test_forward_flops_counts_the_matmuls_on_real_tokens():
    config = BertConfig(**TINY)
    H, D_ff, L = 64, 128, 2
    expected = 2 * L * (4 * H * H + 2 * H * D_ff) * (3 + 5) + 4 * (9 + 25) * H * L
    assert forward_flops(config, [3, 5]) == expected


def test_bf16_check_is_the_library_one_on_a_cpu(monkeypatch):
    monkeypatch.setattr(contenders, "cpu_has_bf16", lambda: True)
    assert has_fast_bf16(CPU)
    monkeypatch.setattr(contenders, "cpu_has_bf16", lambda: False)
    assert not has_fast_bf16(CPU)


def test_contenders_share_weights_and_head_and_take_a_step(tmp_path):
    folder = random_checkpoint(tmp_path, TINY)
    racers = make_contenders(folder, CPU, precision="fp32", add_bf16=True, compile_ours=False)
    assert [c.name for c in racers] == [
        "transformers + AdamW", "minBERT + fused AdamW", "minBERT + fused AdamW, bf16 autocast",
    ]  # fmt: skip
    assert [c.precision for c in racers] == ["fp32", "fp32", "bf16"]
    assert torch.equal(racers[0].head.weight, racers[1].head.weight)
    work = Workload("train", 2, 8)
    batch = make_batch(work, TINY["vocab_size"], CPU)
    before = racers[1].head.weight.detach().clone()
    step_for(work, racers[1], batch)()
    assert not torch.equal(before, racers[1].head.weight)  # the optimizer stepped
    step_for(Workload("eval", 2, 8), racers[0], batch)()
    assert racers[0].model.training  # evaluation puts the model back in training mode
