"""What ``bench_training`` races: its workloads (batch shapes), the contenders (an encoder, a
head and an optimizer each, in one precision) and the two steps it times, a training step and an
evaluation forward."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
import transformers

from minbert_lab.encoder import BertConfig, MinBert
from minbert_lab.training.precision import autocast, cpu_has_bf16

# all-MiniLM-L6-v2's shape, for --weights random where the checkpoint package is not installed.
MINILM_L6 = dict(
    vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
    intermediate_size=1536, hidden_act="gelu", max_position_embeddings=512,
)  # fmt: skip
# --quick checks that the benchmark runs and writes its section, in seconds; its timings mean
# nothing.
TINY = dict(
    vocab_size=2000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
    intermediate_size=128, max_position_embeddings=64,
)  # fmt: skip
N_LABELS = 5
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}  # what each precision's matmuls run in


@dataclass(frozen=True)
class Workload:
    kind: str  # "train" or "eval"
    batch: int
    length: int
    padded: bool = True  # lengths uniform in [T/2, T], else every row T tokens long

    @property
    def label(self) -> str:
        what = "train step" if self.kind == "train" else "eval forward"
        return f"{what}, {self.batch} x {self.length}" + ("" if self.padded else ", no padding")


FULL = [
    Workload("train", 32, 32),
    Workload("train", 32, 64),
    Workload("eval", 64, 64),
    # minBERT skips padded positions in all but attention; this row shows the rest alone.
    Workload("train", 32, 64, padded=False),
]
QUICK = [Workload("train", 4, 8), Workload("train", 4, 16), Workload("eval", 8, 16)]


@dataclass
class Contender:
    name: str
    precision: str  # "fp32", or "bf16" (autocast), as in RunConfig.precision
    device: torch.device
    model: torch.nn.Module
    head: torch.nn.Linear
    optimizer: torch.optim.Optimizer
    encode: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (ids, mask) -> (B, T, H)
    no_grad: Callable[[], contextlib.AbstractContextManager]

    @property
    def precision_label(self) -> str:
        return "bf16 autocast" if self.precision == "bf16" else "fp32"

    def autocast(self) -> contextlib.AbstractContextManager:
        return autocast(self.device, self.precision)


def random_checkpoint(folder: str | Path, shape: dict) -> Path:
    """A BertModel of the given shape with random weights, saved so every contender loads it."""
    transformers.BertModel(transformers.BertConfig(**shape)).save_pretrained(folder)
    return Path(folder)


def has_fast_bf16(device: torch.device) -> bool:
    """Whether bf16 matmuls have hardware support here (AVX512-BF16 or AMX on a CPU)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return cpu_has_bf16()


def make_contenders(
    folder: Path, device: torch.device, *, precision: str, add_bf16: bool, compile_ours: bool
) -> list[Contender]:
    """transformers + default AdamW first (the reference), then minBERT + fused AdamW in the same
    precision, then (``add_bf16``) minBERT under bf16 autocast. One shared head init."""
    hidden = transformers.BertConfig.from_pretrained(folder).hidden_size
    head_init = torch.nn.Linear(hidden, N_LABELS).state_dict()
    entries = [("transformers + AdamW", precision), ("minBERT + fused AdamW", precision)]
    if add_bf16:
        entries.append(("minBERT + fused AdamW, bf16 autocast", "bf16"))
    contenders = []
    for name, contender_precision in entries:
        head = torch.nn.Linear(hidden, N_LABELS)
        head.load_state_dict(head_init)
        reference = name.startswith("transformers")
        if reference:
            model = transformers.BertModel.from_pretrained(folder, attn_implementation="sdpa")
            encode, no_grad = _hf_encode(model), torch.no_grad
        else:
            model = MinBert.from_pretrained(folder)
            encode = torch.compile(model) if compile_ours else model
            no_grad = torch.inference_mode
        model.to(device).train()
        head.to(device)
        params = [*model.parameters(), *head.parameters()]
        # The reference keeps the default implementation (foreach); minBERT trains fused.
        optimizer = torch.optim.AdamW(params, lr=2e-5, fused=None if reference else True)
        contenders.append(
            Contender(name, contender_precision, device, model, head, optimizer, encode, no_grad)
        )
    return contenders


def _hf_encode(model: transformers.BertModel):
    def encode(ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return model(input_ids=ids, attention_mask=mask).last_hidden_state

    return encode


def make_batch(work: Workload, vocab_size: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Word-piece ids with [CLS] and [SEP]; lengths uniform in [T/2, T] with one row of T, padded
    (a quarter of the positions are padding), or all T. Returns (ids, mask, labels)."""
    g = torch.Generator().manual_seed(work.batch * 1000 + work.length)
    B, T = work.batch, work.length
    lengths = (
        torch.randint(T // 2, T + 1, (B,), generator=g) if work.padded else torch.full((B,), T)
    )
    lengths[0] = T
    positions = torch.arange(T)
    mask = (positions < lengths[:, None]).long()  # (B, T)
    ids = torch.randint(1000, vocab_size, (B, T), generator=g)  # past [unused*] and punctuation
    ids[:, 0] = 101  # [CLS]
    ids[positions == lengths[:, None] - 1] = 102  # [SEP]
    ids = ids * mask  # [PAD] = 0
    labels = torch.randint(0, N_LABELS, (B,), generator=g)
    return ids.to(device), mask.to(device), labels.to(device)


def train_step(c: Contender, batch: tuple[torch.Tensor, ...]) -> None:
    ids, mask, labels = batch
    with c.autocast():
        logits = c.head(c.encode(ids, mask)[:, 0])  # (B, N_LABELS)
    F.cross_entropy(logits.float(), labels).backward()
    c.optimizer.step()
    c.optimizer.zero_grad(set_to_none=True)


def eval_forward(c: Contender, batch: tuple[torch.Tensor, ...]) -> None:
    ids, mask, _ = batch
    c.model.eval()
    with c.no_grad(), c.autocast():
        c.head(c.encode(ids, mask)[:, 0])
    c.model.train()


def step_for(work: Workload, c: Contender, batch: tuple[torch.Tensor, ...]) -> Callable[[], None]:
    """The call ``race`` times for this workload and contender."""
    step = train_step if work.kind == "train" else eval_forward
    return lambda: step(c, batch)


def forward_flops(config: BertConfig, lengths: list[int]) -> float:
    """The useful encoder forward FLOPs of a batch of these lengths: the matmul weights (Q, K, V,
    O, FFN) on its real tokens and attention's two batched matmuls among them. Work on padding,
    embeddings, norms and the head are left out."""
    H, L, D_ff = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    matmul_params = L * (4 * H * H + 2 * H * D_ff)
    return 2 * matmul_params * sum(lengths) + 4 * sum(n * n for n in lengths) * H * L
