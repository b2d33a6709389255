"""One encoder, an optional shared trunk, and one head per task.

The forward pass is split at the embedding output (``embed`` then ``forward_from_embeddings``)
because SMART perturbs exactly there: the regulariser calls ``forward_from_embeddings`` with
noised embeddings and needs everything after the embedding layer to run again.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from minbert_lab.config import POOLINGS, RunConfig, TaskConfig
from minbert_lab.data.batch import Batch
from minbert_lab.encoder.parameter_norm import parameter_norm
from minbert_lab.heads import HEAD_FORMS, PairOutput, SharedTrunk, make_head


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """``(N, T, H) -> (N, H)``: the ``[CLS]`` vector, or the mean over real (unmasked) tokens."""
    if pooling == "cls":
        return hidden[:, 0]  # (N, H)
    if pooling == "mean":
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (N, T, 1)
        # clamp: an all-padding row (never produced by the tokenizer) gives 0, not NaN
        return (hidden * mask).sum(1) / mask.sum(1).clamp_min(1.0)  # (N, H)
    raise ValueError(f"pooling={pooling!r} is not valid; choose one of {list(POOLINGS)}")


class MultitaskModel(nn.Module):
    """A BERT encoder shared by every task, each task with its own head.

    Args:
        encoder: a module with ``embed(input_ids, token_type_ids)``, ``encode(hidden, mask)``
            and ``config.hidden_size``, such as ``minbert_lab.encoder.MinBert``.
        tasks: task name -> ``TaskConfig``; only ``head`` is read here.
        dropout: dropout rate inside the heads.
        pooling: ``"cls"`` or ``"mean"``.
        shared_trunk: put one Linear + ReLU, shared by all tasks, between pooling and heads.
        pair_projection: how Siamese heads' projections start (``config.PAIR_PROJECTIONS``).
        private_top_layer: a task that runs its own copy of the encoder's last layer (starting
            from the checkpoint's), out of the other tasks' reach; ``"none"``: every task shares
            every layer.

    Example:
        >>> model = MultitaskModel(encoder, {"sst": default_task("sst")}, dropout=0.1)
        >>> logits = model(batch)  # (B, 5) for an SST batch
    """

    def __init__(
        self,
        encoder: nn.Module,
        tasks: dict[str, TaskConfig],
        *,
        dropout: float,
        pooling: str = "cls",
        shared_trunk: bool = False,
        pair_projection: str = "random",
        private_top_layer: str = "none",
    ):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling={pooling!r} is not valid; choose one of {list(POOLINGS)}")
        if not tasks:
            raise ValueError("tasks is empty; give at least one task")
        hidden = encoder.config.hidden_size
        self.encoder = encoder
        self.pooling = pooling
        self.trunk = SharedTrunk(hidden=hidden) if shared_trunk else None
        self.heads = nn.ModuleDict(
            {
                task: make_head(task, cfg.head, hidden=hidden, dropout=dropout,
                                projection=pair_projection)
                for task, cfg in tasks.items()
            }
        )
        self.forms = {task: HEAD_FORMS[cfg.head] for task, cfg in tasks.items()}
        # a copy of the checkpoint's top layer: it draws no random number, so every other
        # weight starts as in a model without it
        self.private_tops = nn.ModuleDict(
            {} if private_top_layer == "none"
            else {private_top_layer: copy.deepcopy(encoder.encoder.layer[-1])})

    @classmethod
    def from_config(cls, encoder: nn.Module, config: RunConfig) -> MultitaskModel:
        """The model a ``RunConfig`` describes, around an already loaded encoder; its heads are
        built on the CPU (the caller moves the model)."""
        with torch.device("cpu"):
            return cls(
                encoder,
                config.tasks,
                dropout=config.dropout,
                pooling=config.pooling,
                shared_trunk=config.shared_trunk,
                pair_projection=config.pair_projection,
                private_top_layer=config.private_top_layer,
            )

    def input_form(self, task: str) -> str:
        """``"single"``, ``"cross"``, ``"siamese"`` or ``"hybrid"``: the batch form ``task``'s
        head needs."""
        if task not in self.forms:
            raise ValueError(f"task={task!r} has no head; choose one of {list(self.forms)}")
        return self.forms[task]

    def shared_parameters(self) -> list[tuple[str, nn.Parameter]]:
        """``(name, parameter)`` of what every task trains through: the encoder and the trunk
        (all but the heads and a task's private top layer). Gradient surgery and the conflict
        probe work on these."""
        return [(name, p) for name, p in self.named_parameters()
                if p.requires_grad and not name.startswith(("heads.", "private_tops."))]

    def embed(self, batch: Batch) -> torch.Tensor:
        """The embedding layer's output for ``batch``: ``(N, T, H)``."""
        return self.encoder.embed(batch.inputs.input_ids, batch.inputs.token_type_ids)

    def forward_from_embeddings(
        self, batch: Batch, embeddings: torch.Tensor
    ) -> torch.Tensor | PairOutput:
        """Runs encoder layers, pooling, trunk and ``batch.task``'s head on ``embeddings``.

        Returns:
            ``(B, 5)`` logits for SST, a ``PairOutput`` for the pair tasks.
        """
        form = self.input_form(batch.task)
        if batch.form != form:
            raise ValueError(f"a {batch.task} batch must have form {form!r}, not {batch.form!r}")
        mask = batch.inputs.attention_mask
        if batch.task in self.private_tops:  # its own top layer (``MinBert.encode``)
            hidden = self.encoder.encode(embeddings, mask, self.private_tops[batch.task])
        else:
            hidden = self.encoder.encode(embeddings, mask)  # (N, T, H)
        pooled = pool(hidden, mask, self.pooling)  # (N, H)
        if self.trunk is not None:
            pooled = self.trunk(pooled)
        head = self.heads[batch.task]
        if form == "siamese":
            n = batch.size
            if pooled.shape[0] != 2 * n:
                raise ValueError(
                    f"a siamese batch of {n} pairs needs {2 * n} rows, not {pooled.shape[0]}"
                )
            return head(pooled[:n], pooled[n:])  # rows :B are sentence a, rows B: sentence b
        if form == "hybrid":
            n = batch.size
            if pooled.shape[0] != 3 * n:
                raise ValueError(
                    f"a hybrid batch of {n} pairs needs {3 * n} rows, not {pooled.shape[0]}")
            # The sentences alone are always mean-pooled: their cosine is the pretrained one
            # only in the pooling the sentence encoder was trained with.
            alone = pool(hidden[n:], mask[n:], "mean")  # (2B, H)
            if self.trunk is not None:
                alone = self.trunk(alone)
            return head(pooled[:n], alone[:n], alone[n:])  # the pairs, then a, then b
        return head(pooled)

    def forward(self, batch: Batch, *, with_embeddings: bool = False,
                with_parameter_norm: bool = False):
        """The task's outputs for ``batch``.

        With ``with_embeddings``: ``(outputs, embeddings)``, the embedding output that SMART and
        R-Drop perturb or reuse; with ``with_parameter_norm`` too: ``(outputs, embeddings,
        ||theta||_2)`` for the L2 regulariser. One call, so DDP sees every weight the step's
        loss reads go through its forward.
        """
        embeddings = self.embed(batch)
        outputs = self.forward_from_embeddings(batch, embeddings)
        if with_parameter_norm:
            return outputs, embeddings, parameter_norm(self)
        return (outputs, embeddings) if with_embeddings else outputs
