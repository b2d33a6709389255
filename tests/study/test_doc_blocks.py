"""README.md and RESULTS.md show the committed tables: `make study` writes them between their
block markers, and only there."""

from __future__ import annotations

from pathlib import Path

import pytest

from minbert_lab.study.doc_blocks import (
    DOCUMENTS,
    END,
    block_files,
    start_marker,
    sync_documents,
    synced,
)
from minbert_lab.study.settings import committed_figures, repo_root

ROOT = repo_root(Path(__file__))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_committed_documents_show_the_committed_tables(document: str) -> None:
    """What `make study` writes into the documents is what the committed figures say: a result
    that lands and the figures made again change both, or this fails."""
    figures = committed_figures(ROOT, "all-data")
    text = (ROOT / document).read_text()
    blocks = block_files(text)
    assert blocks, f"{document} has no generated block"
    for names in blocks:
        for name in names:
            assert (figures / name).is_file(), f"{document} shows {name}, which is not saved"
    assert synced(text, figures) == text


def test_the_readme_block_holds_the_headline() -> None:
    assert ["headline.md", "headline-claims.md"] in block_files((ROOT / "README.md").read_text())


def test_sync_rewrites_only_between_the_markers(tmp_path: Path) -> None:
    figures = tmp_path / "figures"
    figures.mkdir()
    for name in ("a.md", "b.md"):
        (figures / name).write_text(f"| {name} |\n\ncaption\n")
    doc = tmp_path / "RESULTS.md"
    doc.write_text(f"intro\n\n{start_marker(['a.md', 'b.md'])}\nold table\n{END}\n\nmiddle\n\n"
                   f"{start_marker(['missing.md'])}\nkept\n{END}\n\nafter\n")
    assert sync_documents(tmp_path, figures) == ["RESULTS.md"]
    text = doc.read_text()
    assert text.startswith("intro\n\n") and text.endswith(f"{END}\n\nafter\n")
    assert "old table" not in text and "\nmiddle\n" in text
    assert "| a.md |\n\ncaption\n\n| b.md |\n\ncaption\n" + END in text
    assert f"{start_marker(['missing.md'])}\nkept\n{END}" in text  # a file not saved: kept
    assert sync_documents(tmp_path, figures) == []  # already in sync: nothing written
    doc.write_text("no markers\n")
    assert sync_documents(tmp_path, figures) == [] and doc.read_text() == "no markers\n"
