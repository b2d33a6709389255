"""The fused-QKV benchmark compares like with like: the same weights give the same numbers both
ways, and a quick run writes its section."""

from __future__ import annotations

import torch

from benchmarks import bench_qkv
from benchmarks.bench_qkv import QKVRow, make_call, median_interval, variants
from benchmarks.contenders import Workload
from minbert_lab.encoder import BertConfig
from minbert_lab.encoder.bert import BertSelfAttention
from minbert_lab.encoder.padding import Padding

CONFIG = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=24, max_position_embeddings=12,
                    attention_probs_dropout_prob=0.0)  # fmt: skip


def _inputs():
    mask = (torch.arange(6) < torch.tensor([6, 2, 4])[:, None]).long()  # (3, 6)
    padding = Padding.of(mask)
    return torch.randn(int(mask.sum()), CONFIG.hidden_size), padding


def test_the_library_projects_separately_and_both_variants_agree():
    both = variants(CONFIG, torch.device("cpu"))
    assert type(both["separate"]) is BertSelfAttention
    assert both["separate"].state_dict().keys() == both["fused"].state_dict().keys()
    x, padding = _inputs()
    x.requires_grad_()
    outputs, grads = {}, {}
    for name, attention in both.items():
        attention.train()
        y = attention(x, padding, "manual")
        y.pow(2).sum().backward()
        outputs[name] = y.detach()
        grads[name] = [x.grad.clone(), *(p.grad for p in attention.parameters())]
        x.grad = None
    torch.testing.assert_close(outputs["separate"], outputs["fused"], atol=1e-6, rtol=0)
    for a, b in zip(grads["separate"], grads["fused"], strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_calls_leave_no_gradients_behind():
    attention = variants(CONFIG, torch.device("cpu"))["fused"]
    x, padding = _inputs()
    make_call(Workload("train", 3, 6), attention, x, padding)()
    assert all(p.grad is None for p in attention.parameters())
    make_call(Workload("eval", 3, 6), attention, x, padding)()
    assert not attention.training


def test_ratios_and_the_interval_of_their_median():
    row = QKVRow(Workload("train", 3, 6), 1, 12, 1, {"separate": [2.0, 3.0], "fused": [1.0, 3.0]})
    assert row.ratios() == [1.0, 2.0]
    assert row.label == "training call (forward + backward), 3 x 6"
    values = [float(v) for v in range(100)]
    assert median_interval(values) == (39.0, 60.0)  # ranks 40 and 61 of 100
    assert median_interval([5.0]) == (5.0, 5.0)


def test_quick_run_writes_its_section(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_qkv, "ROUND_SECONDS", 0.01)
    out = tmp_path / "RESULTS.md"
    threads = torch.get_num_threads()
    bench_qkv.main(["--quick", "--rounds", "2", "--threads", "1", "--out", str(out)])
    assert torch.get_num_threads() == threads  # later in-process runs keep their thread count
    text = out.read_text()
    assert "## Fused vs separate Q/K/V projections (quick sanity run)" in text
    assert "`python -m benchmarks.bench_qkv --quick --rounds 2 --threads 1 --out " in text
    assert "| training call (forward + backward), 4 x 16 | 1 |" in text
    assert "| evaluation, 8 x 16 | 1 |" in text
