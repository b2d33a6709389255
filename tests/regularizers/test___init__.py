"""``make_regularizer`` (``regularizers/__init__.py``): the regularizer a task config names."""

from __future__ import annotations

import pytest

from minbert_lab.regularizers import (
    TASK_KINDS,
    L2Penalty,
    SmartRegularizer,
    make_regularizer,
)


def test_make_regularizer_builds_each_named_regularizer():
    assert make_regularizer("none", 1.0, task_kind="classification") is None
    l2 = make_regularizer("l2", 0.1, task_kind="regression")
    assert isinstance(l2, L2Penalty) and l2.weight == 0.1
    smart = make_regularizer("smart", 3.0, task_kind=TASK_KINDS["sst"])
    assert isinstance(smart, SmartRegularizer) and smart.kind == "sym_kl"
    assert (smart.sigma, smart.eta, smart.epsilon, smart.steps) == (1e-5, 1e-3, 1e-6, 1)
    assert make_regularizer("smart", 1.0, task_kind=TASK_KINDS["sts"]).kind == "mse"


def test_make_regularizer_rejects_bad_names():
    with pytest.raises(ValueError, match=r"\['none', 'l2', 'smart', 'rdrop'\]"):
        make_regularizer("dropout", 1.0, task_kind="classification")
    with pytest.raises(ValueError, match=r"\['classification', 'regression'\]"):
        make_regularizer("smart", 1.0, task_kind="ranking")


def test_every_regularizer_the_config_lists_builds_its_own_class():
    from minbert_lab.config import REGULARIZERS
    from minbert_lab.regularizers import REGULARIZER_CLASSES, make_regularizer

    assert set(REGULARIZER_CLASSES) == set(REGULARIZERS) - {"none"}
    for name in REGULARIZERS:
        for kind in ("classification", "regression"):
            built = make_regularizer(name, 0.5, task_kind=kind)
            assert (built is None) if name == "none" else type(built) is REGULARIZER_CLASSES[name]
