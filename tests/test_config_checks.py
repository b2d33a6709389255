"""The value checks every config goes through (``config_checks.py``): a ``ValueError`` names the
field, the value and what it may be."""

from __future__ import annotations

import math

import pytest

from minbert_lab.config_checks import choose, flag, positive, whole


def test_choose_lists_the_choices_and_the_papers_labels():
    choose("pooling", "mean", ("cls", "mean"))
    with pytest.raises(ValueError, match=r"pooling='max' .*\['cls', 'mean'\]") as raised:
        choose("pooling", "max", ("cls", "mean"))
    assert "paper" not in str(raised.value)
    with pytest.raises(ValueError, match=r"\['cross_encoder'\].*\(the paper's CE\)"):
        choose("head", "linear", ("cross_encoder",), labels={"cross_encoder": "CE"})


@pytest.mark.parametrize("value", [-1.0, math.nan, math.inf, True, "1"])
def test_positive_refuses_what_is_not_a_finite_positive_number(value):
    with pytest.raises(ValueError, match=rf"lr={value!r} .*finite number > 0"):
        positive("lr", value)


def test_positive_may_allow_zero():
    positive("lr", 1e-5)
    positive("weight_decay", 0.0, allow_zero=True)
    with pytest.raises(ValueError, match="> 0"):
        positive("lr", 0.0)


@pytest.mark.parametrize("value", [0, 2.0, True, "3"])
def test_whole_refuses_what_is_not_an_integer_at_or_above_the_bound(value):
    with pytest.raises(ValueError, match=rf"epochs={value!r} .*integer >= 1"):
        whole("epochs", value, 1)


def test_whole_takes_none_only_when_optional():
    whole("max_length", None, 8)
    whole("epochs", 3, 1)
    with pytest.raises(ValueError, match="epochs=None"):
        whole("epochs", None, 1, optional=False)


def test_flag_takes_only_true_or_false():
    flag("shared_trunk", False)
    with pytest.raises(ValueError, match=r"shared_trunk=1 .*\[True, False\]"):
        flag("shared_trunk", 1)
