"""Every study notebook, top to bottom, in the smoke profile, on a checkpoint given as a local
folder (what `make study PROFILE=smoke CHECKPOINT=<folder>` runs): an error in any cell fails CI;
the terminal shows a line per training run; notebook 03 writes the prediction files."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from facts import says

from minbert_lab.checkpoints import resolve_checkpoint
from minbert_lab.predict import read_predictions
from minbert_lab.run_notebooks import WIDGET_NOTE, execute_all

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
def test_all_notebooks_run_in_the_smoke_profile(data_dir: Path, tmp_path: Path, capsys):
    readers_figures = _snapshot(REPO / "figures")
    checkpoint = str(resolve_checkpoint())  # the bundled model, as a local folder
    started = time.perf_counter()
    runs = execute_all("smoke", tmp_path / "out", checkpoint=checkpoint, data_dir=data_dir,
                       runs_dir=tmp_path / "runs", log=print)
    shown = capsys.readouterr()
    with capsys.disabled():
        print(f"smoke execution of {len(runs)} notebooks: {time.perf_counter() - started:.0f} s")
    assert [r.name for r in runs if not r.ok] == [], "\n".join(r.error for r in runs if r.error)
    assert len(runs) >= 5

    # The terminal: each notebook, and a line when each training run starts and ends, named by
    # table, run number and row, indented under its notebook.
    assert "[1/5] 01_single_task_ablations" in shown.out and "4 notebooks left" in shown.out
    smart = "    table 1 run 2/3 (cross entropy loss + SMART (lambda=3)): "
    says(shown.err, smart, "training", "smoke", "1 epoch")
    says(shown.err, smart, "trained")
    says(shown.err, "table 4 run 7/7 (Shuffled + SST unreg'd + shared linear): ")
    says(shown.err.lower(), "+ pcgrad, seed 1): ", "trained")  # notebook 04's seeds
    assert "Kernel is running over TCP" not in shown.err

    # Every notebook ran on the checkpoint given, and the executed copy records it.
    for run in runs:
        parameters = nbformat.read(run.executed, as_version=4).metadata.papermill.parameters
        assert parameters == {"PROFILE": "smoke", "CHECKPOINT": checkpoint}

    # Notebook 03: the best model and its prediction files, dev metrics equal to the run's.
    predictions = tmp_path / "out" / "smoke" / "predictions"
    assert (tmp_path / "out" / "smoke" / "model" / "model.safetensors").is_file()
    assert {"sst-dev-output.csv", "sts-test-output.csv"} <= {p.name for p in predictions.iterdir()}
    assert len(read_predictions(predictions / "sst-test-output.csv")) == 2210
    executed = nbformat.read(tmp_path / "out" / "smoke" / "03_error_analysis.ipynb", as_version=4)
    pages = " ".join(o.get("data", {}).get("text/html", "") for c in executed.cells
                     for o in c.get("outputs", []))
    assert "sts_pearson" in pages and "para-test-output.csv" in pages

    # The explorer's HTML copy says where its controls went instead of showing nothing.
    assert WIDGET_NOTE in (tmp_path / "out" / "smoke" / "05_ablation_explorer.html").read_text()

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
