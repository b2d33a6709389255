"""The L2 norm of a model's trainable weights, ``||theta||_2``: the paper's L2 regulariser."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn


def parameter_norm(parameters: nn.Module | Iterable[torch.Tensor]) -> torch.Tensor:
    """``||theta||_2`` over the parameters that require grad (a module's, or an iterable).

    The norm of the per-tensor norms equals the norm of all weights concatenated, without
    copying 100M parameters into one vector.

    Raises:
        ValueError: no trainable parameter.
    """
    if isinstance(parameters, nn.Module):
        parameters = parameters.parameters()
    norms = [torch.linalg.vector_norm(p) for p in parameters if p.requires_grad]
    if not norms:
        raise ValueError("no trainable parameters to take the norm of")
    return torch.linalg.vector_norm(torch.stack(norms))
