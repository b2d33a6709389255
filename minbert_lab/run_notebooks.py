"""Execute the study notebooks top to bottom with papermill:
``python -m minbert_lab.run_notebooks``.

Every numbered notebook in ``notebooks/`` (or those ``--only`` selects by prefix: ``make study``
runs 01 02 03 05, ``make beyond`` runs 04) runs in order in a fresh kernel started in its own
folder, with an explicit per-cell timeout (a widget cell must never hang an executor).
papermill injects ``PROFILE`` and ``CHECKPOINT`` after each notebook's cell tagged
``parameters`` and records them in the executed copy; the data, runs and figures folders reach
the kernels as ``MINBERT_*`` variables (``study.settings``). Notebooks run in order because
later ones load earlier ones' runs from the cache; a failing notebook does not stop the others,
but the exit status is 1 if any cell of any notebook failed.

The checkpoint is resolved before any kernel starts: a hub name that cannot be fetched (offline,
``HF_HUB_OFFLINE``, no such model) stops the run in its first seconds with one line saying what
works instead. Kernels get ``HF_HUB_OFFLINE=1`` whenever the checkpoint is local.

While a notebook runs, the terminal shows it: papermill's bar over its cells (on a terminal),
and the kernel's own lines above it, among them one line per training run when it starts and
when it ends (``experiments.cache.run_or_load``). Each executed copy, ``.ipynb`` and ``.html``,
is written to ``<out>/<profile>/`` (``MINBERT_OUTPUTS_DIR``, where notebook 03 also saves the best
model and its CS224N prediction files); the HTML page is static (figures are embedded PNGs, tables
HTML, no script from a CDN) and shows a note where a widget would be.

Figures and tables go to ``figures/<profile>/`` (one folder per profile, committed), except in
the smoke profile: ``<out>/smoke/figures``, so meaningless numbers never replace real ones.

Example:
    python -m minbert_lab.run_notebooks --profile smoke --checkpoint path/to/bert --out outputs
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import html
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from minbert_lab.checkpoints import BUNDLED, DEFAULT_CHECKPOINT, resolve_checkpoint
from minbert_lab.data.prepare import CARVED
from minbert_lab.durations import duration
from minbert_lab.experiments.committed import COMMITTED_PROFILES as COMMITTED
from minbert_lab.profiles import LOAD_ONLY, PROFILES

# Per-cell limits: one cell runs at most one paper grid (Table 2: seven runs).
CELL_TIMEOUTS = {"smoke": 600, "quick": 3600, "all-data": 12 * 3600, "full": 24 * 3600}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("<p><em>Interactive controls: open this notebook in JupyterLab to use them "
               "(they need a running kernel).</em></p>")
# The lab template without the scripts it would fetch from a CDN (require.js for widgets,
# MathJax, mermaid): every page is static HTML and embedded PNGs, readable offline.
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
_NOT_OFFLINE = ("0", "", "false", "False")  # as checkpoints.resolve_checkpoint reads it


class CheckpointUnavailable(RuntimeError):
    """The study's checkpoint cannot be used; the message is one line saying what works."""


@dataclass
class NotebookRun:
    """What happened to one notebook."""

    name: str
    seconds: float
    error: str | None
    executed: Path
    html: Path | None

    @property
    def ok(self) -> bool:
        return self.error is None


def notebook_paths(folder: Path | str) -> list[Path]:
    """The numbered notebooks (``NN_name.ipynb``) of ``folder``, in order."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def check_checkpoint(checkpoint: str) -> Path:
    """The checkpoint's local folder (a hub name is fetched now, when the hub is reachable).

    Raises:
        CheckpointUnavailable: one line naming the checkpoints that work offline.
    """
    try:
        return resolve_checkpoint(checkpoint)
    except OSError as err:  # FileNotFoundError included
        if checkpoint in BUNDLED or Path(checkpoint).expanduser().exists():
            raise CheckpointUnavailable(f"checkpoint {checkpoint!r}: {_one_line(err)}") from None
        works = (f"offline, use a bundled checkpoint ({', '.join(sorted(BUNDLED))}) or a local "
                 "Hugging Face BERT folder")
        cause = type(err.__cause__).__name__
        if cause in ("RepositoryNotFoundError", "RevisionNotFoundError", "GatedRepoError"):
            why = "the Hugging Face hub has no such model (or it is gated)"
        elif _hub_offline():
            why = "the Hugging Face hub is unreachable: HF_HUB_OFFLINE is set"
        else:  # the hub client's first line names the cause (DNS, refused, timeout)
            first = str(err.__cause__ or err).strip().splitlines()[0]
            why = f"the Hugging Face hub is unreachable ({_one_line(first, 120)})"
        raise CheckpointUnavailable(f"checkpoint {checkpoint!r} is neither bundled nor a local "
                                    f"folder, and {why}; {works}") from None


def notebook_env(*, data_dir: Path, runs_dir: Path, figures_dir: Path, outputs_dir: Path,
                 progress: bool = False, offline: bool = True,
                 train: bool | None = None) -> dict[str, str]:
    """The variables the kernels get on top of the runner's environment (``train=None``: the
    profile decides, ``config.LOAD_ONLY``)."""
    env = {
        "MINBERT_DATA_DIR": str(Path(data_dir).resolve()),
        "MINBERT_RUNS_DIR": str(Path(runs_dir).resolve()),
        "MINBERT_FIGURES_DIR": str(Path(figures_dir).resolve()),
        "MINBERT_OUTPUTS_DIR": str(Path(outputs_dir).resolve()),
        "MINBERT_PROGRESS": "1" if progress else "0",  # bars would bloat the executed copies
    }
    if offline:  # a local checkpoint needs no network: nothing in a kernel contacts the hub
        env["HF_HUB_OFFLINE"] = "1"
    if train is not None:
        env["MINBERT_TRAIN"] = "1" if train else "0"
    return env


def split_warning(data_dir: Path) -> str | None:
    """A line when the prepared data is not the split the committed results were trained on
    (the Quora carve): none of them can load, and every committed row shows as not run."""
    manifest = data_dir / "manifest.json"
    if not manifest.is_file():
        return None
    split = json.loads(manifest.read_text()).get("quora_split")
    if split == CARVED:
        return None
    return (f"note: the data in {data_dir} has the {split} Quora split, but the committed "
            "results were trained on the one carved from quora-dev.csv, so none of them "
            "matches it; for them, prepare the carved split: make data QUORA_SPLIT=carved "
            "(python -m minbert_lab data prepare --quora-split carved)")


def opening_line(profile: str, train: bool) -> str:
    """What ``make study`` does, said first: whether it trains, and the commands that do."""
    if train:
        return (f"profile {profile}: training every run not stored yet (the run cache in runs/"
                + (" and the committed results in results/ are" if profile in COMMITTED
                   else " is") + " read first)")
    stored = ("the committed results in results/ and the run cache" if profile in COMMITTED
              else "the run cache")
    return (f"profile {profile}: regenerating the study from {stored}, training nothing. To "
            "train: make study PROFILE=quick; the runs not stored yet: add TRAIN=yes (all-data "
            "seeds: python -m minbert_lab queue seeds)")


@contextlib.contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """Sets ``variables`` in this process (kernels inherit them) and restores them after."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute_notebook(path: Path, out_dir: Path, *, parameters: dict, timeout: int,
                     html: bool = True, echo: bool = True, bar: bool | None = None) -> NotebookRun:
    """Runs one notebook with papermill in a fresh kernel started in its own folder; writes the
    executed copy (and HTML) even when a cell fails, so the error can be read where it happened.

    Args:
        parameters: injected after the cell tagged ``parameters`` (and recorded in the copy).
        echo: copy the kernel's printed lines (stdout and stderr) to this process's stderr.
        bar: papermill's progress bar over the cells; default: when stderr is a terminal.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / path.name
    show_bar = sys.stderr.isatty() if bar is None else bar
    lines = _Lines() if echo else None
    started = time.perf_counter()
    error = None
    try:
        papermill.execute_notebook(
            path, executed, parameters=parameters, cwd=path.parent, kernel_name="python3",
            execution_timeout=timeout, progress_bar={"desc": path.stem} if show_bar else False,
            stdout_file=lines, stderr_file=lines, config=_kernel_config())
    except PapermillExecutionError as err:
        error = f"{err.ename} in cell {err.exec_count}: {_first_lines(err.evalue)}"
    except (CellTimeoutError, DeadKernelError, TimeoutError) as err:
        error = f"{type(err).__name__}: {_first_lines(str(err))}"
    finally:
        if lines is not None:
            lines.flush()
    seconds = time.perf_counter() - started
    html_path = None
    if html and executed.is_file():
        html_path = executed.with_suffix(".html")
        html_path.write_text(html_page(executed), encoding="utf-8")
    return NotebookRun(path.stem, seconds, error, executed, html_path)


def html_page(executed: Path) -> str:
    """The executed notebook as a static page: nothing fetched from a CDN, a note where a
    widget would need a kernel (an HTML page has none), and each cell's stderr (the runs'
    progress lines, warnings) folded into one collapsed "log" under the cell."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = copy.deepcopy(nbformat.read(executed, as_version=4))
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        outputs = cell.get("outputs", [])
        log = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
        outputs[:] = [o for o in outputs if not (o.output_type == "stream" and o.name == "stderr")]
        for output in outputs:
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                data["text/html"] = WIDGET_NOTE
        if log:
            lines = log.rstrip("\n").count("\n") + 1
            outputs.append(nbformat.v4.new_output("display_data", data={"text/html": (
                f"<details><summary>log ({lines} line{'s' * (lines > 1)})</summary>"
                f"<pre>{html.escape(log)}</pre></details>")}))
    body, _ = HTMLExporter(raw_template=OFFLINE_TEMPLATE).from_notebook_node(notebook)
    return body


def execute_all(profile: str, out: Path | str, *, checkpoint: str = DEFAULT_CHECKPOINT,
                notebooks_dir: Path | str | None = None, data_dir: Path | str | None = None,
                runs_dir: Path | str | None = None, figures_dir: Path | str | None = None,
                timeout: int | None = None, only: list[str] | None = None, html: bool = True,
                echo: bool = True, log: Callable[[str], None] = print,
                train: bool | None = None) -> list[NotebookRun]:
    """Executes every numbered notebook (or those whose names start with ``only``) in order.

    ``train``: whether the notebooks train the runs not stored yet or only load (``None``: by
    profile, ``config.LOAD_ONLY``; all-data only loads).

    Raises:
        ValueError: an unknown profile.
        CheckpointUnavailable: the checkpoint cannot be used (before any kernel starts).
        FileNotFoundError: no notebook to run.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile={profile!r} is not valid; choose one of {list(PROFILES)}")
    train = profile not in LOAD_ONLY if train is None else train
    log(opening_line(profile, train))
    if (profile in COMMITTED and (warning := split_warning(
            Path(data_dir) if data_dir else Path(__file__).resolve().parents[1] / "data"))):
        log(warning)
    folder = check_checkpoint(checkpoint)  # before anything slow: a bad one fails in a second
    from minbert_lab.study.settings import (  # imports torch, through the tables
        committed_figures,
        repo_root,
    )

    root = repo_root()
    out_dir = Path(out) / profile
    if figures_dir is None:
        figures_dir = (out_dir / "figures" if profile == "smoke"
                       else committed_figures(root, profile))
    local = checkpoint in BUNDLED or Path(checkpoint).expanduser().exists()
    env = notebook_env(data_dir=Path(data_dir or root / "data"),
                       runs_dir=Path(runs_dir or root / "runs"), figures_dir=Path(figures_dir),
                       outputs_dir=out_dir, offline=local or _hub_offline(), train=train)
    paths = notebook_paths(notebooks_dir or root / "notebooks")
    if only:
        paths = [p for p in paths if any(p.name.startswith(prefix) for prefix in only)]
    if not paths:
        raise FileNotFoundError(f"no notebooks to run in {notebooks_dir or root / 'notebooks'}")
    timeout = timeout or CELL_TIMEOUTS[profile]
    where = "" if Path(checkpoint).expanduser().resolve() == folder.resolve() else f" ({folder})"
    log(f"executing {len(paths)} notebooks, profile {profile}, checkpoint {checkpoint}{where}, "
        f"cell timeout {timeout} s; executed copies -> {out_dir}, figures -> "
        f"{env['MINBERT_FIGURES_DIR']}")
    runs = []
    with environment(env):
        for i, path in enumerate(paths, start=1):
            log(f"[{i}/{len(paths)}] {path.stem}")
            run = execute_notebook(path, out_dir, timeout=timeout, html=html, echo=echo,
                                   parameters={"PROFILE": profile, "CHECKPOINT": checkpoint})
            left = len(paths) - i
            log(f"[{i}/{len(paths)}] {run.name}: {'ok' if run.ok else 'FAILED'} in "
                f"{duration(run.seconds)}" + (f"; {left} notebook{'s' * (left > 1)} left"
                                              if left else "")
                + (f"\n    {run.error}" if run.error else ""))
            runs.append(run)
    if all(run.ok for run in runs):
        _sync_documents(Path(figures_dir), profile, log)
    return runs


def _sync_documents(figures_dir: Path, profile: str, log: Callable[[str], None]) -> None:
    """A run into a checkout's committed all-data figures rewrites that checkout's generated
    Markdown blocks from them (``study.doc_blocks``), so README.md and RESULTS.md follow the
    committed results."""
    from minbert_lab.study.doc_blocks import sync_documents
    from minbert_lab.study.settings import committed_figures

    parents = figures_dir.resolve().parents
    if len(parents) < 2:
        return
    checkout = parents[1]
    if profile == "all-data" and figures_dir.resolve() == committed_figures(checkout, profile):
        for name in sync_documents(checkout, figures_dir):
            log(f"{name}: generated blocks rewritten from {figures_dir}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m minbert_lab.run_notebooks",
                                     description="Execute the study notebooks top to bottom.")
    parser.add_argument("--profile", default="all-data", choices=list(PROFILES),
                        help="(default: %(default)s, as make study)")
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT,
                        help="every notebook's CHECKPOINT: a bundled name, a local Hugging Face "
                             "BERT folder or a hub name (default: %(default)s)")
    parser.add_argument("--out", default="outputs", help="executed copies go to OUT/PROFILE/")
    parser.add_argument("--data-dir", help="prepared data (default: <repo>/data)")
    parser.add_argument("--runs-dir", help="run cache (default: <repo>/runs)")
    parser.add_argument("--figures-dir", help="figures and tables (default: "
                        "<repo>/figures/PROFILE; smoke: OUT/smoke/figures)")
    parser.add_argument("--timeout", type=int, help="seconds per cell (default: by profile, "
                        + ", ".join(f"{k} {v}" for k, v in CELL_TIMEOUTS.items()) + ")")
    parser.add_argument("--only", nargs="*", metavar="PREFIX",
                        help="run only notebooks whose names start with these, e.g. 01 05")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    parser.add_argument("--train", choices=["yes", "no"],
                        help="train the runs not stored yet, or only load stored ones (default: "
                             "no for all-data, whose committed results are the study; yes for "
                             "the others)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        runs = execute_all(args.profile, args.out, checkpoint=args.checkpoint,
                           data_dir=args.data_dir, runs_dir=args.runs_dir,
                           figures_dir=args.figures_dir, timeout=args.timeout, only=args.only,
                           html=not args.no_html,
                           train=None if args.train is None else args.train == "yes")
    except CheckpointUnavailable as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    failed = [run.name for run in runs if not run.ok]
    print(f"{len(runs) - len(failed)} of {len(runs)} notebooks ran without errors in "
          f"{duration(time.perf_counter() - started)}"
          + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


class _Lines:
    """Where papermill copies the kernel's printed text: whole lines, written above the
    progress bar (``tqdm.write``), indented under the runner's own lines."""

    def __init__(self) -> None:
        self._pending = ""

    def write(self, text: str) -> None:
        from tqdm import tqdm

        *lines, self._pending = (self._pending + text).replace("\r\n", "\n").split("\n")
        for line in lines:
            tqdm.write(f"    {line}", file=sys.stderr)

    def flush(self) -> None:
        if self._pending:
            self.write("\n")


def _kernel_config():
    """Kernels talk to the runner over CurveZMQ-encrypted TCP when pyzmq can (ipykernel warns
    on plain TCP), else over IPC sockets on POSIX; both keep everything local."""
    import zmq
    from traitlets.config import Config

    if zmq.has("curve"):
        return Config({"KernelManager": {"transport_encryption": "auto"}})
    return Config({"KernelManager": {"transport": "ipc"}} if os.name == "posix" else {})


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0") not in _NOT_OFFLINE


def _one_line(err: BaseException | str, limit: int = 200) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"



def _first_lines(text: str, n: int = 25) -> str:
    lines = text.strip().splitlines()
    return "\n".join(lines[-n:])  # the traceback's end names the error


if __name__ == "__main__":
    sys.exit(main())
