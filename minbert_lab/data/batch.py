"""The tensors a training or evaluation step consumes."""

from __future__ import annotations

from dataclasses import dataclass

import torch

# Batches are built on the CPU (every tensor of the data layer says so) and moved to the
# model's device by ``Batch.to``, so no tensor of them lands wherever a default device points.
CPU = torch.device("cpu")


@dataclass
class Encoded:
    """A padded batch of token sequences."""

    input_ids: torch.Tensor  # (N, T) int64, 0 = [PAD]
    attention_mask: torch.Tensor  # (N, T) int64, 1 = real token
    token_type_ids: torch.Tensor  # (N, T) int64, 1 = second sentence of a cross-encoded pair

    def to(self, device: torch.device | str) -> Encoded:
        return Encoded(*(t.to(device, non_blocking=True) for t in self.tensors()))

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.input_ids, self.attention_mask, self.token_type_ids


@dataclass
class Batch:
    """One task's batch, in the form its head needs.

    ``form`` is ``"single"`` (SST: N = B sentences), ``"cross"`` (N = B pairs encoded as
    ``[CLS] a [SEP] b [SEP]``), ``"siamese"`` (N = 2B: rows ``:B`` are the first sentences,
    rows ``B:`` the second ones, so both go through the encoder in one forward pass) or
    ``"hybrid"`` (N = 3B: the cross-encoded pairs, then the first and the second sentences).
    """

    task: str
    form: str
    inputs: Encoded
    labels: torch.Tensor  # (B,) int64 for sst, float32 for para (0/1) and sts (0-5)
    ids: list[str]

    @property
    def size(self) -> int:
        return len(self.ids)

    def to(self, device: torch.device | str) -> Batch:
        return Batch(self.task, self.form, self.inputs.to(device), self.labels.to(device), self.ids)
