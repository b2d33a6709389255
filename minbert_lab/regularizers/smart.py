"""SMART (Jiang et al., 2020): smoothness-inducing adversarial regularisation and its partner,
Bregman proximal point optimisation.

``SmartRegularizer`` is the term the paper uses, ``lambda_s * R_s(theta)`` with

    R_s(theta) = 1/n sum_i max_{||x~_i - x_i||_inf <= epsilon} l_s(f(x~_i; theta), f(x_i; theta)),

the inner max approximated by projected gradient ascent on noise added to the embedding
output. ``BregmanProximalPoint`` is SMART's second half, which the paper's implementation
(archinetai/smart-pytorch) and most reimplementations leave out: a penalty on moving the
outputs away from those of a momentum (EMA) copy of the model.

``l_s`` is the symmetric KL divergence for classification and the squared error for regression.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from minbert_lab.config import NUM_CLASSES, TASKS
from minbert_lab.data.batch import Batch
from minbert_lab.heads import PairOutput

KINDS = ("sym_kl", "mse")

Outputs = torch.Tensor | PairOutput


# What l_s compares, by task: class distributions (symmetric KL) or a real-valued score (MSE).
TASK_KINDS = {t: "classification" if t in NUM_CLASSES else "regression" for t in TASKS}
DIVERGENCE_OF_KIND = {"classification": "sym_kl", "regression": "mse"}


def divergence_kind(task: str) -> str:
    """The ``l_s`` SMART and the Bregman term use for ``task``: ``"sym_kl"`` or ``"mse"``."""
    return DIVERGENCE_OF_KIND[TASK_KINDS[task]]


@dataclass(frozen=True)
class StepOutputs:
    """What a training step hands every regularizer's ``penalty``: the model, the batch, the
    embedding output and the model's outputs on it (with their graph)."""

    model: nn.Module  # a MultitaskModel: ``forward_from_embeddings(batch, embeddings)``
    batch: Batch
    embeddings: torch.Tensor  # (N, T, H)
    outputs: Outputs
    parameter_norm: torch.Tensor | None = None  # ||theta||_2, when taken in the forward (DDP)


def scores_of(outputs: Outputs) -> torch.Tensor:
    """The tensor a divergence compares: SST logits ``(B, C)`` or a pair score ``(B,)``."""
    return outputs.score if isinstance(outputs, PairOutput) else outputs


def symmetric_kl(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    """``KL(p || q) + KL(q || p)``, averaged over the batch.

    ``(B, C)`` inputs are softmax logits; ``(B,)`` inputs are binary logits, compared as the
    two-class distributions ``[1 - sigmoid(s), sigmoid(s)]``.
    """
    if p_logits.ndim == 1:
        # log(1 - sigmoid(s)) = logsigmoid(-s): stable for large |s|
        log_p = torch.stack([F.logsigmoid(-p_logits), F.logsigmoid(p_logits)], dim=-1)  # (B, 2)
        log_q = torch.stack([F.logsigmoid(-q_logits), F.logsigmoid(q_logits)], dim=-1)  # (B, 2)
    else:
        log_p = F.log_softmax(p_logits, dim=-1)  # (B, C)
        log_q = F.log_softmax(q_logits, dim=-1)  # (B, C)
    # KL(p||q) + KL(q||p) = sum_c (p_c - q_c)(log p_c - log q_c)
    return ((log_p.exp() - log_q.exp()) * (log_p - log_q)).sum(-1).mean()


def divergence(kind: str, a: Outputs, b: Outputs) -> torch.Tensor:
    """``l_s(a, b)``: ``"sym_kl"`` (classification) or ``"mse"`` (regression)."""
    a, b = scores_of(a), scores_of(b)
    if kind == "sym_kl":
        return symmetric_kl(a, b)
    if kind == "mse":
        return F.mse_loss(a, b)
    raise ValueError(f"kind={kind!r} is not valid; choose one of {list(KINDS)}")


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not valid; choose one of {list(KINDS)}")


class SmartRegularizer:
    """Smoothness-inducing adversarial regulariser on the embedding output.

    Algorithm (Jiang et al., Algorithm 1, per example):

    1. ``noise = randn * sigma``, clamped into the ball ``||noise||_inf <= epsilon``;
    2. ``steps`` times: ``g = grad_noise l_s(f(x + noise), f(x).detach())``;
       ``noise = clamp(noise + eta * g / ||g||_inf, -epsilon, epsilon)``;
    3. return ``weight * l_s(f(x + noise.detach()), f(x))``, with gradients reaching the model
       through both arguments (the honest gradient of ``R_s``).

    ``epsilon`` is the radius of the ball, as in the paper's equation. Beware that in the
    implementation the paper used (archinetai/smart-pytorch) and in MT-DNN, ``epsilon`` is only
    the constant in ``step / (||step||_inf + epsilon)``, whose perturbation has infinity-norm ~1
    per token; the paper's ``epsilon = 1e-6`` therefore means a much smaller perturbation here.
    With ``sigma = 1e-5 > epsilon`` the initial noise is mostly clamped, and with
    ``eta = 1e-3 >> epsilon`` one ascent step lands on ``epsilon * sign(g)``.

    If the model is in train mode, the clean and perturbed passes draw different dropout masks,
    so the term also penalises dropout disagreement (as in the reference implementations).

    Args:
        weight: ``lambda_s``.
        sigma: standard deviation of the initial noise.
        eta: ascent step size.
        epsilon: infinity-norm radius of the perturbation, per example.
        steps: number of ascent steps ``T``.
        kind: ``"sym_kl"`` for classification, ``"mse"`` for regression.

    Example:
        >>> smart = SmartRegularizer(1.0, kind="sym_kl")
        >>> emb = model.embed(batch)
        >>> out = model.forward_from_embeddings(batch, emb)
        >>> loss = task_loss(out, batch.labels)
        >>> loss = loss + smart(lambda e: model.forward_from_embeddings(batch, e), emb, out)
    """

    needs_parameter_norm = False

    @classmethod
    def for_kind(cls, weight: float, kind: str) -> SmartRegularizer:
        """Built by name (``make_regularizer``): the paper's hyper-parameters, divergence
        ``kind``."""
        return cls(weight, kind=kind)

    def __init__(
        self,
        weight: float,
        *,
        sigma: float = 1e-5,
        eta: float = 1e-3,
        epsilon: float = 1e-6,
        steps: int = 1,
        kind: str = "sym_kl",
    ):
        _check_kind(kind)
        for name, value in (
            ("weight", weight),
            ("sigma", sigma),
            ("eta", eta),
            ("epsilon", epsilon),
        ):
            if value < 0:
                raise ValueError(f"{name}={value!r} is not valid; it must be >= 0")
        if not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps={steps!r} is not valid; it must be an integer >= 0")
        self.weight, self.sigma, self.eta, self.epsilon = weight, sigma, eta, epsilon
        self.steps, self.kind = steps, kind

    def perturbation(
        self,
        forward_fn: Callable[[torch.Tensor], Outputs],
        embeddings: torch.Tensor,
        clean_outputs: Outputs,
    ) -> torch.Tensor:
        """The adversarial noise after ``steps`` projected ascent steps, detached."""
        x = embeddings.detach()  # the ascent moves only the noise
        target = scores_of(clean_outputs).detach()
        noise = (torch.randn_like(x) * self.sigma).clamp(-self.epsilon, self.epsilon)
        reduce_dims = tuple(range(1, x.ndim))  # everything but the example dimension
        with torch.enable_grad():
            for _ in range(self.steps):
                noise.requires_grad_()
                loss = divergence(self.kind, forward_fn(x + noise), target)
                grad = None
                if loss.requires_grad:
                    (grad,) = torch.autograd.grad(loss, noise, allow_unused=True)
                if grad is None:  # outputs do not depend on the input: no ascent direction
                    grad = torch.zeros_like(noise)
                grad_norm = grad.abs().amax(dim=reduce_dims, keepdim=True)  # (N, 1, 1)
                step = grad / grad_norm.clamp_min(torch.finfo(grad.dtype).tiny)
                noise = (noise.detach() + self.eta * step).clamp(-self.epsilon, self.epsilon)
        return noise.detach()

    def __call__(
        self,
        forward_fn: Callable[[torch.Tensor], Outputs],
        embeddings: torch.Tensor,
        clean_outputs: Outputs,
    ) -> torch.Tensor:
        """``weight * l_s(f(x + noise), f(x))``.

        Args:
            forward_fn: maps (perturbed) embeddings ``(N, T, H)`` to the model's outputs.
            embeddings: the embedding output ``x`` that produced ``clean_outputs``.
            clean_outputs: ``f(x)``, logits or a ``PairOutput``, with its graph.
        """
        noise = self.perturbation(forward_fn, embeddings, clean_outputs)
        return self.weight * divergence(self.kind, forward_fn(embeddings + noise), clean_outputs)

    def penalty(self, step: StepOutputs) -> torch.Tensor:
        """The training step's call: perturbs ``step.embeddings`` and reruns the model there."""
        def perturbed(embeddings: torch.Tensor) -> Outputs:
            return step.model.forward_from_embeddings(step.batch, embeddings)

        return self(perturbed, step.embeddings, step.outputs)

    def __repr__(self) -> str:
        return (
            f"SmartRegularizer(weight={self.weight}, sigma={self.sigma}, eta={self.eta}, "
            f"epsilon={self.epsilon}, steps={self.steps}, kind={self.kind!r})"
        )


class BregmanProximalPoint:
    """SMART's momentum Bregman proximal point term: stay close to an EMA teacher's outputs.

    The teacher is a frozen copy of the model, ``theta~ <- momentum * theta~ + (1 - momentum) *
    theta`` after every optimiser step (call :meth:`update`). The term is
    ``weight * l_s(f(x; theta), f(x; theta~))``; Jiang et al. use ``momentum = 0.99``.

    The teacher runs in eval mode (no dropout) and without gradients: it is a fixed target for
    the step, not a second sample. Build this after moving the model to its device. It is a plain
    object rather than an ``nn.Module`` so the teacher's weights never end up in the student's
    ``parameters()`` or ``state_dict()``.

    Example:
        >>> bpp = BregmanProximalPoint(model, weight=1.0)
        >>> loss = task_loss + bpp(outputs, batch)  # teacher(batch) gives the target
        >>> loss.backward(); optimizer.step(); bpp.update()
    """

    needs_parameter_norm = False

    def __init__(
        self, model: nn.Module, *, weight: float, momentum: float = 0.99, kind: str = "sym_kl"
    ):
        _check_kind(kind)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum={momentum!r} is not valid; it must be in [0, 1)")
        if weight < 0:
            raise ValueError(f"weight={weight!r} is not valid; it must be >= 0")
        self.model = model
        self.weight, self.momentum, self.kind = weight, momentum, kind
        self.teacher = copy.deepcopy(model).eval()
        for p in self.teacher.parameters():
            p.requires_grad_(False)
            p.grad = None

    def __call__(self, student_outputs: Outputs, *inputs, kind: str | None = None) -> torch.Tensor:
        """``weight * l_s(student_outputs, teacher(*inputs))``; ``kind`` overrides per call
        (a multitask model mixes classification and regression tasks under one teacher)."""
        kind = self.kind if kind is None else kind
        _check_kind(kind)
        with torch.no_grad():
            teacher_outputs = self.teacher(*inputs)
        return self.weight * divergence(kind, student_outputs, teacher_outputs)

    def penalty(self, step: StepOutputs) -> torch.Tensor:
        """The training step's call: the teacher's outputs on ``step.batch`` are the target,
        compared by the divergence of the batch's task (KL for classes, MSE for a score)."""
        return self(step.outputs, step.batch, kind=divergence_kind(step.batch.task))

    @torch.no_grad()
    def update(self) -> None:
        """Moves the teacher a step ``1 - momentum`` toward the student's current weights."""
        for t, s in zip(self.teacher.parameters(), self.model.parameters(), strict=True):
            t.lerp_(s, 1.0 - self.momentum)
        for t, s in zip(self.teacher.buffers(), self.model.buffers(), strict=True):
            t.copy_(s)
