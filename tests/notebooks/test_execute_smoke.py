"""Every study notebook, top to bottom, in the smoke profile: an error in any cell fails CI."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

from minbert_lab.notebooks import execute_all

REPO = Path(__file__).resolve().parents[2]
FIGURES = ("fig1-heads.png", "fig2-batch-composition.png", "fig3-training-curves.png",
           "fig4-sst-confusion.png", "fig5-para-confusion.png",
           *(f"table{n}.{ext}" for n in (1, 2, 3, 4) for ext in ("csv", "md")),
           "dropout.csv", "dropout.md",
           # notebook 04, beyond the paper
           "fig6-gradient-conflict.png", "fig7-pcgrad-vs-shuffled.png",
           "fig8-sst-class-balance.png", "fig9-table4-intervals.png", "fig10-score-vs-cost.png",
           *(f"{name}.{ext}" for name in ("conflict", "pcgrad-seeds", "pcgrad-bootstrap",
                                          "sst-class-recall", "table4-seeds", "table4-vs-best",
                                          "table4-claims", "cost") for ext in ("csv", "md")))


def _snapshot(folder: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in folder.glob("*")} if folder.is_dir() else {}


@pytest.mark.slow
def test_all_notebooks_run_in_the_smoke_profile(data_dir: Path, tmp_path: Path):
    readers_figures = _snapshot(REPO / "figures")
    started = time.perf_counter()
    runs = execute_all("smoke", tmp_path / "out", data_dir=data_dir, runs_dir=tmp_path / "runs",
                       log=print)
    print(f"smoke execution of {len(runs)} notebooks: {time.perf_counter() - started:.0f} s")
    assert [r.name for r in runs if not r.ok] == [], "\n".join(r.error for r in runs if r.error)
    assert len(runs) >= 5

    figures = tmp_path / "out" / "smoke" / "figures"
    assert sorted(FIGURES) == sorted(p.name for p in figures.iterdir() if p.name in FIGURES)
    assert _snapshot(REPO / "figures") == readers_figures, "smoke results reached figures/"

    for run in runs:
        notebook = nbformat.read(run.executed, as_version=4)
        outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        shown = " ".join(str(o.get("data", {}).get("text/markdown", "")) for o in outputs)
        assert "meaningless" in shown, f"{run.name} does not say smoke numbers are meaningless"
        assert run.html.is_file()
