"""Durations as people read them: ``5.9 s``, ``3 min 12 s``, ``2 h 05 min``."""

from __future__ import annotations


def duration(seconds: float) -> str:
    """``seconds`` in the largest units that keep it short (tenths of a second under a minute)."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:02.0f} min"
