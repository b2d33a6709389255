"""Turn a tokenized split into padded batches: single, cross-encoded, Siamese, or hybrid (the
cross-encoded pairs followed by their two sentences alone).

Padding is dynamic (each batch is as long as its longest row). With ``bucket=True``, examples
are shuffled, cut into pools of ``pool_batches`` batches, sorted by length inside a pool and
batched, and the batch order is shuffled again: rows of similar length travel together, yet
the order stays random and seeded.
"""

from __future__ import annotations

import torch

from minbert_lab.data.batch import CPU, Batch, Encoded
from minbert_lab.data.splits import TaskSplit

FORMS = ("single", "cross", "siamese", "hybrid")


def pad(seqs: list[torch.Tensor], types: list[torch.Tensor] | None = None,
        width: int | None = None) -> Encoded:
    """Right-pads id sequences with 0 ([PAD]) to the longest one (or to ``width``)."""
    width = max(max(len(s) for s in seqs), width or 0)
    ids = torch.zeros(len(seqs), width, dtype=torch.int64, device=CPU)
    mask = torch.zeros(len(seqs), width, dtype=torch.int64, device=CPU)
    token_types = torch.zeros(len(seqs), width, dtype=torch.int64, device=CPU)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
        if types is not None:
            token_types[row, : len(seq)] = types[row]
    return Encoded(ids, mask, token_types)


def truncate(seq: torch.Tensor, max_length: int) -> torch.Tensor:
    """Cuts ``[CLS] ... [SEP]`` to ``max_length`` tokens, keeping the final ``[SEP]``."""
    if len(seq) <= max_length:
        return seq
    return torch.cat([seq[: max_length - 1], seq[-1:]])


def cross_pair(
    a: torch.Tensor, b: torch.Tensor, max_length: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``[CLS] a [SEP] b [SEP]`` and its token types, trimming the longer sentence first."""
    a_body, b_body = a[1:-1], b[1:-1]  # without [CLS]/[SEP]
    budget = max_length - 3
    while len(a_body) + len(b_body) > budget:
        if len(a_body) >= len(b_body):
            a_body = a_body[:-1]
        else:
            b_body = b_body[:-1]
    cls, sep = a[:1], a[-1:]
    ids = torch.cat([cls, a_body, sep, b_body, sep])
    types = torch.cat([torch.zeros(len(a_body) + 2, dtype=torch.int64, device=CPU),
                       torch.ones(len(b_body) + 1, dtype=torch.int64, device=CPU)])
    return ids, types


def collate(data: TaskSplit, index: list[int], form: str, max_length: int,
            pad_to: int | None = None) -> Batch:
    """One batch of the rows ``index`` in the given form (see :class:`Batch`).

    ``pad_to`` pads every batch to that fixed length (the static-padding baseline of the
    speed benchmark); by default a batch is as long as its longest row.
    """
    if form == "single":
        inputs = pad([truncate(data.a[i], max_length) for i in index], width=pad_to)
    elif form == "siamese":
        rows = [truncate(data.a[i], max_length) for i in index]
        rows += [truncate(data.b[i], max_length) for i in index]
        inputs = pad(rows, width=pad_to)
    elif form == "cross":
        pairs = [cross_pair(data.a[i], data.b[i], max_length) for i in index]
        inputs = pad([p[0] for p in pairs], [p[1] for p in pairs], width=pad_to)
    elif form == "hybrid":
        pairs = [cross_pair(data.a[i], data.b[i], max_length) for i in index]
        alone = ([truncate(data.a[i], max_length) for i in index]
                 + [truncate(data.b[i], max_length) for i in index])
        inputs = pad([p[0] for p in pairs] + alone,
                     [p[1] for p in pairs] + [torch.zeros(len(s), dtype=torch.int64, device=CPU)
                                              for s in alone], width=pad_to)
    else:
        raise ValueError(f"form={form!r} is not valid; choose one of {list(FORMS)}")
    ids = data.frame["id"].iloc[index].tolist()
    return Batch(data.task, form, inputs, data.labels[index], ids)


def example_lengths(data: TaskSplit, form: str) -> torch.Tensor:
    """Token count each example costs in this form (the sort key for bucketing)."""
    if form == "single":
        return data.a.lengths()
    if form in ("cross", "hybrid"):
        return data.a.lengths() + data.b.lengths() - 1
    return torch.maximum(data.a.lengths(), data.b.lengths())


def count_truncated(data: TaskSplit, form: str, max_length: int) -> int:
    """How many examples of ``data`` lose tokens to ``max_length`` in this form (a cross pair
    counts once when the two sentences together are too long)."""
    return int((example_lengths(data, form) > max_length).sum())


def make_batches(data: TaskSplit, form: str, *, batch_size: int, max_length: int,
                 shuffle: bool = True, seed: int = 0, bucket: bool = True,
                 pool_batches: int = 50, pad_to: int | None = None) -> list[Batch]:
    """All batches of one pass over ``data``; seeded, so the same seed gives the same batches."""
    if len(data) == 0:
        raise ValueError(f"{data.task}-{data.split} has no examples to batch")
    generator = torch.Generator(device=CPU).manual_seed(seed)
    order = (torch.randperm(len(data), generator=generator, device=CPU) if shuffle
             else torch.arange(len(data), device=CPU))
    if bucket:
        lengths = example_lengths(data, form)
        pool = batch_size * pool_batches
        order = torch.cat([
            chunk[torch.argsort(lengths[chunk], stable=True)] for chunk in order.split(pool)
        ])
    groups = [g.tolist() for g in order.split(batch_size)]
    if bucket and shuffle:
        groups = [groups[i] for i in torch.randperm(len(groups), generator=generator, device=CPU)]
    return [collate(data, g, form, max_length, pad_to) for g in groups]
