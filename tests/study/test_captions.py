"""Every committed all-data table says what produced it, and each that shows a Quora number
(Quora accuracy, or a score that averages it in) carries the checkpoint's Quora caveat under
it: all-MiniLM-L6-v2 was trained on Quora duplicates before any fine-tuning here."""

from __future__ import annotations

from pathlib import Path

import pytest

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT, quora_caveat
from minbert_lab.study.settings import committed_figures, repo_root

FIGURES = committed_figures(repo_root(Path(__file__)), "all-data")


def _table_and_caption(path: Path) -> tuple[str, str]:
    lines = path.read_text().strip().splitlines()
    table = [line for line in lines if line.startswith("|")]
    return "\n".join(table), "\n".join(line for line in lines if not line.startswith("|"))


@pytest.mark.parametrize("path", sorted(FIGURES.glob("*.md")), ids=lambda p: p.name)
def test_every_committed_table_names_its_profile_and_its_quora_caveat(path: Path) -> None:
    table, caption = _table_and_caption(path)
    assert "all-data profile" in caption, f"{path.name}: no provenance under the table"
    if "para" in table or "score" in table:
        assert quora_caveat(DEFAULT_CHECKPOINT) in caption, f"{path.name}: no Quora caveat"
