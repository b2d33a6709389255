"""SMART's adversarial smoothness term, its symmetric KL, and the Bregman proximal point term
(``regularizers/smart.py``), on tiny stand-in models."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from minbert_lab.heads import PairOutput
from minbert_lab.regularizers.smart import BregmanProximalPoint, SmartRegularizer, symmetric_kl

N, T, H, C = 3, 4, 6, 5


class TinyScorer(nn.Module):
    """A nonlinear stand-in for "encoder layers + head": (N, T, H) -> (N, C) logits."""

    def __init__(self):
        super().__init__()
        self.to_logits = nn.Linear(H, C)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_logits(torch.tanh(x).mean(1))


class PairScorer(TinyScorer):
    """The same, returning a pair head's output with a (N,) score."""

    def forward(self, x: torch.Tensor) -> PairOutput:
        return PairOutput(super().forward(x)[:, 0], None, None)


def _smart_inputs(model: nn.Module):
    torch.manual_seed(0)
    x = torch.randn(N, T, H)
    return x, model(x)


def test_symmetric_kl_matches_both_kl_directions():
    torch.manual_seed(0)
    p, q = torch.randn(4, C), torch.randn(4, C)
    lp, lq = F.log_softmax(p, -1), F.log_softmax(q, -1)
    expected = F.kl_div(lq, lp, log_target=True, reduction="batchmean") + F.kl_div(
        lp, lq, log_target=True, reduction="batchmean"
    )
    torch.testing.assert_close(symmetric_kl(p, q), expected)


def test_symmetric_kl_of_binary_logits_uses_two_class_sigmoid_distributions():
    s, t = torch.tensor([0.3, -2.0, 4.0]), torch.tensor([1.0, -1.0, 4.0])

    def two_class(z: torch.Tensor) -> torch.Tensor:
        return torch.stack([-z, torch.zeros_like(z)], -1)  # softmax = [1 - sigmoid, sigmoid]

    torch.testing.assert_close(symmetric_kl(s, t), symmetric_kl(two_class(s), two_class(t)))
    assert symmetric_kl(s, s).item() == 0.0


@pytest.mark.parametrize("steps", [1, 3])
def test_smart_perturbation_stays_in_the_infinity_norm_ball(steps):
    model = TinyScorer()
    x, clean = _smart_inputs(model)
    # sigma far above epsilon, so the initial noise alone would leave the ball
    smart = SmartRegularizer(1.0, sigma=1.0, eta=0.05, epsilon=0.01, steps=steps)
    noise = smart.perturbation(model, x, clean)
    assert noise.shape == x.shape
    assert noise.abs().max().item() <= 0.01 + 1e-9
    assert not noise.requires_grad


def test_smart_ascent_finds_the_worst_corner_of_the_ball_for_a_linear_model():
    w = torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0, 1.0])

    def linear(x: torch.Tensor) -> PairOutput:
        return PairOutput(x.sum(1) @ w, None, None)  # (N,)

    torch.manual_seed(0)
    x = torch.randn(N, T, H)
    smart = SmartRegularizer(1.0, eta=0.1, epsilon=1e-2, steps=1, kind="mse")
    noise = smart.perturbation(linear, x, linear(x))
    # MSE is maximised by noise = +-epsilon * sign(w) at every token
    corner = noise[:, :1, :1].sign() * 1e-2 * w.expand(T, H) * w[0]
    torch.testing.assert_close(noise, corner)


def test_smart_ascent_does_not_touch_parameter_gradients():
    model = TinyScorer()
    x, clean = _smart_inputs(model)
    SmartRegularizer(1.0).perturbation(model, x, clean)
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("kind", ["sym_kl", "mse"])
def test_smart_is_zero_for_a_model_that_ignores_its_input(kind):
    bias = nn.Parameter(torch.randn(C))

    def constant(x: torch.Tensor) -> torch.Tensor:
        return bias.expand(x.shape[0], C)

    x = torch.randn(N, T, H)
    smart = SmartRegularizer(1.0, epsilon=0.1, kind=kind)
    assert smart(constant, x, constant(x)).item() == 0.0


@pytest.mark.parametrize(
    ("scorer", "kind"), [(TinyScorer, "sym_kl"), (PairScorer, "sym_kl"), (PairScorer, "mse")]
)
def test_smart_is_positive_and_trains_the_model_when_outputs_depend_on_input(scorer, kind):
    model = scorer()
    x, clean = _smart_inputs(model)
    value = SmartRegularizer(2.0, epsilon=0.1, kind=kind)(model, x, clean)
    assert value.item() > 0
    value.backward()
    assert model.to_logits.weight.grad is not None and model.to_logits.weight.grad.any()


def test_smart_gradient_reaches_the_embeddings():
    model = TinyScorer()
    torch.manual_seed(0)
    x = torch.randn(N, T, H, requires_grad=True)
    SmartRegularizer(1.0, epsilon=0.1)(model, x, model(x)).backward()
    assert x.grad is not None and x.grad.any()


def test_smart_rejects_bad_settings():
    with pytest.raises(ValueError, match=r"\['sym_kl', 'mse'\]"):
        SmartRegularizer(1.0, kind="kl")
    with pytest.raises(ValueError, match="epsilon"):
        SmartRegularizer(1.0, epsilon=-1.0)


def test_bregman_teacher_moves_toward_the_student():
    torch.manual_seed(0)
    student = TinyScorer()
    bpp = BregmanProximalPoint(student, weight=1.0, momentum=0.9)
    assert all(not p.requires_grad for p in bpp.teacher.parameters())
    start = [p.detach().clone() for p in bpp.teacher.parameters()]
    with torch.no_grad():
        for p in student.parameters():
            p.add_(1.0)
    bpp.update()
    for t, s, t0 in zip(bpp.teacher.parameters(), student.parameters(), start, strict=True):
        torch.testing.assert_close(t, 0.9 * t0 + 0.1 * s.detach())
        assert (s - t).abs().max() < (s - t0).abs().max()


def test_bregman_term_is_zero_at_start_and_pulls_only_the_student_back():
    torch.manual_seed(0)
    student = TinyScorer()
    bpp = BregmanProximalPoint(student, weight=1.0)
    x = torch.randn(N, T, H)
    assert bpp(student(x), x).item() == pytest.approx(0.0, abs=1e-7)
    with torch.no_grad():
        student.to_logits.weight.mul_(3.0)
    term = bpp(student(x), x)
    assert term.item() > 0
    term.backward()
    assert student.to_logits.weight.grad.any()
    assert all(p.grad is None for p in bpp.teacher.parameters())
    assert len(list(student.parameters())) == 2  # the teacher is not registered on the student
