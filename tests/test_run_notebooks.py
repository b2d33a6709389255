"""The notebook runner (``run_notebooks.py``): parameters, environment, checkpoint check, timeouts,
failures, HTML (tiny notebooks, not the study's)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from minbert_lab import run_notebooks as notebooks
from minbert_lab.checkpoints import BUNDLED, DEFAULT_CHECKPOINT, resolve_checkpoint
from minbert_lab.run_notebooks import (
    WIDGET_NOTE,
    WIDGET_VIEW,
    CheckpointUnavailable,
    check_checkpoint,
    environment,
    execute_all,
    execute_notebook,
    html_page,
    main,
    notebook_env,
)


def _notebook(path: Path, *sources: str, parameters: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_code_cell(s) for s in sources]
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        cells.insert(0, cell)
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def test_env_carries_the_folders_and_keeps_kernels_offline_for_a_local_checkpoint(tmp_path):
    env = notebook_env(data_dir=tmp_path / "d", runs_dir=tmp_path / "r",
                       figures_dir=tmp_path / "f", outputs_dir=tmp_path / "o")
    assert env["MINBERT_DATA_DIR"] == str((tmp_path / "d").resolve())
    assert env["MINBERT_FIGURES_DIR"] == str((tmp_path / "f").resolve())
    assert env["MINBERT_OUTPUTS_DIR"] == str((tmp_path / "o").resolve())
    assert env["MINBERT_PROGRESS"] == "0" and env["HF_HUB_OFFLINE"] == "1"
    online = notebook_env(data_dir=tmp_path, runs_dir=tmp_path, figures_dir=tmp_path,
                          outputs_dir=tmp_path, offline=False)
    assert "HF_HUB_OFFLINE" not in online  # a hub name's kernels may need the hub


def test_environment_is_restored(monkeypatch):
    monkeypatch.setenv("MINBERT_RUNS_DIR", "before")
    monkeypatch.delenv("MINBERT_DATA_DIR", raising=False)
    with environment({"MINBERT_RUNS_DIR": "x", "MINBERT_DATA_DIR": "y"}):
        assert os.environ["MINBERT_RUNS_DIR"] == "x" and os.environ["MINBERT_DATA_DIR"] == "y"
    assert os.environ["MINBERT_RUNS_DIR"] == "before" and "MINBERT_DATA_DIR" not in os.environ


def test_bundled_and_local_checkpoints_resolve(tmp_path):
    folder = resolve_checkpoint(DEFAULT_CHECKPOINT)
    assert check_checkpoint(DEFAULT_CHECKPOINT) == folder
    assert check_checkpoint(str(folder)) == folder
    with pytest.raises(CheckpointUnavailable, match="not a Hugging Face model folder"):
        check_checkpoint(str(tmp_path))  # a folder without config.json


def test_a_hub_name_offline_fails_at_once_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointUnavailable) as raised:
        check_checkpoint("bert-base-uncased")
    message = str(raised.value)
    assert "\n" not in message and "hub is unreachable" in message
    assert all(name in message for name in BUNDLED) and "local Hugging Face BERT folder" in message

    started = []
    monkeypatch.setattr(notebooks, "execute_notebook", lambda *a, **k: started.append(a))
    assert main(["--profile", "smoke", "--checkpoint", "bert-base-uncased",
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert not started and len(err.splitlines()) == 1 and "hub is unreachable" in err


def test_no_network_is_named_too(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)

    def unreachable(name):
        raise OSError(f"could not fetch {name!r} from the Hugging Face hub: no route\n"
                      "second line") from ConnectionError("Name or service not known")

    monkeypatch.setattr(notebooks, "resolve_checkpoint", unreachable)
    with pytest.raises(CheckpointUnavailable, match=r"unreachable \(Name or service not known"):
        check_checkpoint("bert-base-uncased")


def test_main_rejects_an_empty_selection(tmp_path):
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        main(["--profile", "smoke", "--out", str(tmp_path), "--only", "99"])


def test_the_html_page_is_static_notes_widgets_and_folds_the_log(tmp_path):
    nb = nbformat.v4.new_notebook()
    table = nbformat.v4.new_output("display_data", data={
        "text/html": "<table><tr><td>0.5</td></tr></table>", "text/plain": "t"})
    figure = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=",
                                                          "text/plain": "<Figure>"})
    widget = nbformat.v4.new_output("display_data", data={
        WIDGET_VIEW: {"model_id": "abc", "version_major": 2, "version_minor": 0},
        "text/plain": "VBox()"})
    log = [nbformat.v4.new_output("stream", name="stderr", text=f"run {i}/2: trained\n")
           for i in (1, 2)]
    nb.cells = [nbformat.v4.new_code_cell("x", outputs=[log[0], table, figure, widget, log[1]])]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path = tmp_path / "01_page.ipynb"
    nbformat.write(nb, path)
    page = html_page(path)
    assert "<table>" in page and 'src="data:image/png;base64,iVBORw0KGgo=' in page
    assert WIDGET_NOTE in page and WIDGET_VIEW not in page
    folded = "<details><summary>log (2 lines)</summary><pre>run 1/2: trained\nrun 2/2: trained"
    assert folded in page
    assert not re.findall(r"<script[^>]*\ssrc=", page), "a script fetched from elsewhere"
    assert "cdnjs.cloudflare.com" not in page and "unpkg.com" not in page  # MathJax, mermaid


@pytest.mark.slow
def test_parameters_are_injected_and_cells_see_the_env(tmp_path: Path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    path = _notebook(folder / "01_env.ipynb",
                     "import os; print(PROFILE, CHECKPOINT, os.environ['MINBERT_RUNS_DIR'], "
                     "os.getcwd())",
                     parameters='PROFILE = "quick"\nCHECKPOINT = "default"')
    with environment({"MINBERT_RUNS_DIR": "/runs"}):
        run = execute_notebook(path, tmp_path / "out", timeout=60, bar=False, echo=False,
                               parameters={"PROFILE": "smoke", "CHECKPOINT": "/a/folder"})
    assert run.ok, run.error
    executed = nbformat.read(run.executed, as_version=4)
    printed = [o.text for c in executed.cells for o in c.get("outputs", [])
               if o.output_type == "stream"]
    assert printed == [f"smoke /a/folder /runs {folder}\n"]
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'PROFILE = "smoke"' in injected[0].source  # recorded
    assert executed.metadata.papermill["parameters"] == {"PROFILE": "smoke",
                                                         "CHECKPOINT": "/a/folder"}
    assert run.html.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.slow
def test_an_error_or_a_hung_cell_fails_the_run_and_keeps_the_copy(tmp_path: Path, capsys):
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(folder / "01_fails.ipynb", "print('before')", "1 / 0", "print('never')",
              parameters="PROFILE = CHECKPOINT = None")
    _notebook(folder / "02_hangs.ipynb", "import time; time.sleep(60)",
              parameters="PROFILE = CHECKPOINT = None")
    _notebook(folder / "03_fine.ipynb", "import sys; print('to stderr', file=sys.stderr)",
              parameters="PROFILE = CHECKPOINT = None")
    runs = execute_all("smoke", tmp_path / "out", notebooks_dir=folder, data_dir=tmp_path,
                       runs_dir=tmp_path, timeout=3, html=False, log=print)
    assert [r.ok for r in runs] == [False, False, True]  # a failure does not stop the rest
    assert "ZeroDivisionError" in runs[0].error
    assert "Timeout" in runs[1].error
    failed = nbformat.read(runs[0].executed, as_version=4)
    assert [o.text for c in failed.cells for o in c.get("outputs", [])
            if o.output_type == "stream"] == ["before\n"]
    assert runs[0].executed.parent == tmp_path / "out" / "smoke"
    shown = capsys.readouterr()
    assert "    to stderr" in shown.err  # the kernel's lines reach the terminal, indented
    assert "[1/3] 01_fails: FAILED" in shown.out and "2 notebooks left" in shown.out


@pytest.mark.parametrize("profile, where, rewritten", [
    ("all-data", "figures/all-data", True),  # a checkout's committed all-data figures
    ("quick", "figures/quick", False),
    ("all-data", "elsewhere/all-data", False),  # --figures-dir outside a checkout's figures/
])
def test_a_run_into_committed_all_data_figures_rewrites_the_generated_blocks(
        tmp_path: Path, profile: str, where: str, rewritten: bool) -> None:
    from minbert_lab.study.doc_blocks import END, start_marker

    figures = tmp_path / where
    figures.mkdir(parents=True)
    (figures / "headline.md").write_text("| headline |\n")
    readme = figures.parents[1] / "README.md"
    readme.write_text(f"{start_marker(['headline.md'])}\nold\n{END}\n")
    lines: list[str] = []
    notebooks._sync_documents(figures, profile, lines.append)
    assert ("old" not in readme.read_text()) == rewritten
    assert bool(lines) == rewritten
