"""The notebook runner: environment, timeouts, failures (tiny notebooks, not the study's)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from minbert_lab.notebooks import execute_all, execute_notebook, main, notebook_env


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def test_env_carries_the_study_settings(tmp_path: Path):
    env = notebook_env("smoke", data_dir=tmp_path / "d", runs_dir=tmp_path / "r",
                       figures_dir=tmp_path / "f")
    assert env["MINBERT_PROFILE"] == "smoke"
    assert env["MINBERT_DATA_DIR"] == str((tmp_path / "d").resolve())
    assert env["MINBERT_FIGURES_DIR"] == str((tmp_path / "f").resolve())
    assert env["MINBERT_PROGRESS"] == "0"
    assert "PATH" in env  # the rest of the environment is kept


@pytest.mark.slow
def test_cells_see_the_env_and_run_in_the_notebooks_folder(tmp_path: Path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    path = _notebook(folder / "01_env.ipynb",
                     "import os; print(os.environ['MINBERT_PROFILE'], os.getcwd())")
    run = execute_notebook(path, tmp_path / "out", env={**notebook_env(
        "smoke", data_dir=tmp_path, runs_dir=tmp_path, figures_dir=tmp_path)}, timeout=60)
    assert run.ok, run.error
    executed = nbformat.read(run.executed, as_version=4)
    assert executed.cells[0].outputs[0].text.strip() == f"smoke {folder}"
    assert run.html.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.slow
def test_an_error_or_a_hung_cell_fails_the_run_and_keeps_the_copy(tmp_path: Path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(folder / "01_fails.ipynb", "print('before')", "1 / 0", "print('never')")
    _notebook(folder / "02_hangs.ipynb", "import time; time.sleep(60)")
    _notebook(folder / "03_fine.ipynb", "print('fine')")
    runs = execute_all("smoke", tmp_path / "out", notebooks_dir=folder, data_dir=tmp_path,
                       runs_dir=tmp_path, timeout=3, html=False, log=lambda _: None)
    assert [r.ok for r in runs] == [False, False, True]  # a failure does not stop the rest
    assert "ZeroDivisionError" in runs[0].error
    assert "Timeout" in runs[1].error
    failed = nbformat.read(runs[0].executed, as_version=4)
    assert failed.cells[0].outputs[0].text == "before\n"
    assert runs[0].executed.parent == tmp_path / "out" / "smoke"


def test_main_rejects_an_empty_selection(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        main(["--profile", "smoke", "--out", str(tmp_path), "--only", "99"])
