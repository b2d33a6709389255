"""``says``: assert what a generated text states (numbers, names, verdict words), not its wording.
Importable from any test: ``from facts import says``."""

from __future__ import annotations

import pytest


def says(text: str, *facts: str) -> str:
    """The first line of ``text`` that states every one of ``facts`` in the order given (a
    number after the name it belongs to, a verdict after its comparison); fails the test,
    showing the text, when no line does. Rewording the line keeps the test passing; dropping
    or changing a fact fails it.

    Example:
        >>> says("- balanced vs plain CE: +0.600, significant", "balanced", "+0.600")
        '- balanced vs plain CE: +0.600, significant'
    """
    for line in text.splitlines():
        position = 0
        for fact in facts:
            found = line.find(fact, position)
            if found < 0:
                break
            position = found + len(fact)
        else:
            return line
    pytest.fail(f"no line states {list(facts)} in this order:\n{text}")
