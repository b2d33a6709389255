"""``benchmarks/RESULTS.md``: each benchmark owns one ``## `` section and rewrites only that."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def replace_section(text: str, heading: str, body: str) -> str:
    """``text`` with the section under ``heading`` replaced by ``heading`` and ``body``
    (appended if absent); other ``## `` sections are left as they are."""
    section = f"{heading}\n\n{body.rstrip()}\n"
    if heading + "\n" not in text:
        return text.rstrip() + "\n\n" + section
    start = text.index(heading + "\n")
    end = text.find("\n## ", start + len(heading))
    rest = "" if end == -1 else text[end:]
    return text[:start] + section + rest


def write_section(path: str | Path, heading: str, body: str) -> None:
    """Rewrites the section under ``heading`` of the Markdown file at ``path``, creating both."""
    path = Path(path)
    previous = path.read_text() if path.exists() else "# Benchmark results\n\n"
    path.write_text(replace_section(previous, heading, body))
