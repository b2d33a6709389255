"""The blocks of the checkout's Markdown documents that `make study` writes from the saved
all-data tables, so that README.md and RESULTS.md show what the committed results hold.

A block opens with a marker naming the table files it shows, in order, and closes with its end
marker; nothing outside the markers is touched:

    <!-- make study writes this block from figures/all-data: table4.md table4-over-seeds.md -->
    ...the files' text, one after another...
    <!-- /make study -->

A block whose files are not all saved yet keeps what it had.

Example:
    >>> sync_documents(Path("."), Path("figures/all-data"))   # the documents it rewrote
    ['RESULTS.md']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

DOCUMENTS = ("README.md", "RESULTS.md")
END = "<!-- /make study -->"
_BLOCK = re.compile(r"(?P<start><!-- make study writes this block from figures/all-data: "
                    r"(?P<files>[\w.\- ]+?) -->\n)(?P<body>.*?)" + re.escape(END), re.DOTALL)


def start_marker(names: Sequence[str]) -> str:
    """The line that opens a block showing the table files ``names``."""
    return f"<!-- make study writes this block from figures/all-data: {' '.join(names)} -->"


def block_files(text: str) -> list[list[str]]:
    """The table files each block of ``text`` shows, block by block."""
    return [m["files"].split() for m in _BLOCK.finditer(text)]


def block_text(figures_dir: Path, names: Sequence[str]) -> str:
    """What a block showing ``names`` holds: each file's text, a blank line between them."""
    return "\n".join((Path(figures_dir) / name).read_text().strip() + "\n" for name in names)


def synced(text: str, figures_dir: Path) -> str:
    """``text`` with every block rewritten from ``figures_dir`` (a block whose files are not
    all there keeps its text)."""
    def rewrite(m: re.Match) -> str:
        names = m["files"].split()
        if not all((Path(figures_dir) / name).is_file() for name in names):
            return m[0]
        return f"{m['start']}{block_text(figures_dir, names)}{END}"

    return _BLOCK.sub(rewrite, text)


def sync_documents(checkout: Path, figures_dir: Path) -> list[str]:
    """Rewrites the blocks of the checkout's ``DOCUMENTS`` from ``figures_dir``; returns the
    names of the documents that changed."""
    changed = []
    for name in DOCUMENTS:
        path = Path(checkout) / name
        if not path.is_file():
            continue
        text = path.read_text()
        new = synced(text, figures_dir)
        if new != text:
            path.write_text(new)
            changed.append(name)
    return changed
