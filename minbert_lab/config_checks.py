"""Checks every configurable value goes through: an invalid value raises ``ValueError`` naming
the field and what it may be."""

from __future__ import annotations

import math
from typing import Any


def choose(field_name: str, value: Any, valid: tuple | list,
            labels: dict[str, str] | None = None) -> None:
    if value not in valid:
        also = ""
        if labels:  # heads and losses: say which of the paper's labels would do
            also = " (the paper's " + ", ".join(labels[v] for v in valid) + ")"
        raise ValueError(f"{field_name}={value!r} is not valid; choose one of {list(valid)}"
                         f"{also}")


def positive(field_name: str, value: float, *, allow_zero: bool = False) -> None:
    # bool is an int subclass and NaN compares False with everything: both would slip through.
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{field_name}={value!r} is not valid; it must be a finite number {bound}")


def whole(field_name: str, value: int | None, low: int, *, optional: bool = True) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{field_name}={value!r} is not valid; it must be an integer >= {low}")


def flag(field_name: str, value: bool) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{field_name}={value!r} is not valid; choose one of [True, False]")
