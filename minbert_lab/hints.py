"""How a message names a setting: in the words of the command the user typed.

Under ``make`` (which sets ``MAKELEVEL`` for the commands it runs) a setting is a make variable,
``make data DATA_SOURCE=FOLDER``; from the command line it is a flag, ``--source FOLDER``.
"""

from __future__ import annotations

import os


def under_make() -> bool:
    """Whether this process was started by ``make``."""
    return "MAKELEVEL" in os.environ


def data_source_hint(value: str = "FOLDER") -> str:
    """How to point ``data prepare`` at a source (a local copy of the CS224N data/ folder)."""
    if under_make():
        return f"make data DATA_SOURCE={value}"
    return f"python -m minbert_lab data prepare --source {value}"


def quora_split_hint() -> str:
    """The words that keep the carved Quora split (``data prepare --quora-split carved``)."""
    return "QUORA_SPLIT=carved" if under_make() else "--quora-split carved"
