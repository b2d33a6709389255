"""The committed notebooks: paired with their py:percent twins, thin, and stripped of outputs."""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EXPECTED = ("01_single_task_ablations", "02_multitask_batch_ordering", "03_error_analysis",
            "04_beyond_the_paper", "05_ablation_explorer")
PAIRS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))


def test_the_study_notebooks_are_all_there():
    names = {p.stem for p in PAIRS}
    assert set(EXPECTED) <= names
    assert {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")} == names


@pytest.mark.parametrize("script", PAIRS, ids=lambda p: p.stem)
def test_ipynb_matches_its_twin_and_has_no_outputs(script: Path):
    notebook = nbformat.read(script.with_suffix(".ipynb"), as_version=4)
    twin = jupytext.read(script)
    assert [(c.cell_type, c.source) for c in notebook.cells] == [
        (c.cell_type, c.source) for c in twin.cells], (
        f"{script.name} and its .ipynb differ: run `make notebooks`")
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{script.with_suffix('.ipynb').name} is committed with outputs")
    assert notebook.metadata["jupytext"]["formats"] == "ipynb,py:percent"


@pytest.mark.parametrize("script", PAIRS, ids=lambda p: p.stem)
def test_parameters_cell_first_then_the_banner(script: Path):
    code = [c for c in jupytext.read(script).cells if c.cell_type == "code"]
    parameters = code[0]
    assert "parameters" in parameters.metadata.get("tags", [])
    for name in ('PROFILE = os.environ.get("MINBERT_PROFILE"',
                 'CHECKPOINT = os.environ.get("MINBERT_CHECKPOINT"', "SEEDS ="):
        assert name in parameters.source
    assert "display(Markdown(banner(study)))" in code[1].source
    assert "%matplotlib inline" in code[1].source


@pytest.mark.parametrize("script", PAIRS, ids=lambda p: p.stem)
def test_notebooks_stay_thin(script: Path):
    for cell in jupytext.read(script).cells:
        if cell.cell_type == "code":
            assert "def " not in cell.source and "class " not in cell.source, (
                f"{script.name}: logic belongs in minbert_lab, not in a notebook")


@pytest.mark.parametrize("script", PAIRS, ids=lambda p: p.stem)
def test_no_parameter_is_computed_from_another(script: Path):
    """papermill injects the parameters after this cell has run, so a default computed from
    ``PROFILE`` there would keep the default profile's value (03's ``SUBMISSION`` did: in
    ``make study PROFILE=all-data`` it retrained the best Table 4 run)."""
    cells = jupytext.read(script).cells
    tree = ast.parse(next(c for c in cells if c.cell_type == "code").source)
    names = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
             if isinstance(t, ast.Name)}
    for node in (n for n in tree.body if isinstance(n, ast.Assign)):
        used = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)} & names
        assert not used, (f"{script.name}: the parameter {ast.unparse(node.targets[0])} is "
                          f"computed from {sorted(used)}; compute it after the parameters cell")


def test_every_notebook_reaches_the_library_through_at_most_five_modules() -> None:
    import re

    for twin in sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.py")):
        modules = set(re.findall(r"^(?:from|import) (minbert_lab[\w.]*)", twin.read_text(), re.M))
        assert len(modules) <= 5, (twin.name, sorted(modules))
