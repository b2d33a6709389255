"""Execute the study notebooks top to bottom: ``python -m minbert_lab.notebooks``.

Every numbered notebook in ``notebooks/`` (or those ``--only`` selects by prefix: ``make study``
runs 01 02 03 05, ``make beyond`` runs 04) runs in order in a fresh kernel, with an explicit
per-cell timeout (a widget cell must never hang an executor), the profile in
``MINBERT_PROFILE`` and the data, runs and figures folders in ``MINBERT_*`` variables (the
kernels run in ``notebooks/``, so nothing relies on the working directory). The executed copy
of each notebook, ``.ipynb`` and ``.html``, is written to ``<out>/<profile>/``. Notebooks run in
order because later ones load earlier ones' runs from the cache; a failing notebook does not
stop the others, but the exit status is 1 if any cell of any notebook failed.

In the smoke profile the figures go to ``<out>/smoke/figures`` unless told otherwise: the
committed ``figures/`` keep the quick-profile results a reader sees.

Example:
    python -m minbert_lab.notebooks --profile smoke --out outputs
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from minbert_lab.config import PROFILES
from minbert_lab.study.settings import repo_root

# Per-cell limits: one cell runs at most one paper grid (Table 2: seven runs).
CELL_TIMEOUTS = {"smoke": 600, "quick": 3600, "all-data": 12 * 3600, "full": 24 * 3600}


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


def notebook_env(profile: str, *, data_dir: Path, runs_dir: Path, figures_dir: Path,
                 progress: bool = False) -> dict[str, str]:
    """The environment the kernels get: ours, plus the study's ``MINBERT_*`` settings."""
    return {
        **os.environ,
        "MINBERT_PROFILE": profile,
        "MINBERT_DATA_DIR": str(Path(data_dir).resolve()),
        "MINBERT_RUNS_DIR": str(Path(runs_dir).resolve()),
        "MINBERT_FIGURES_DIR": str(Path(figures_dir).resolve()),
        "MINBERT_PROGRESS": "1" if progress else "0",
    }


def execute_notebook(path: Path, out_dir: Path, *, env: dict[str, str], timeout: int,
                     html: bool = True) -> NotebookRun:
    """Runs one notebook in a fresh kernel started in its own folder; writes the executed copy
    (and HTML) even when a cell fails, so the error can be read where it happened."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    error = None
    try:
        client.execute(env=env)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        error = f"{type(err).__name__}: {_first_lines(str(err))}"
    seconds = time.perf_counter() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / path.name
    nbformat.write(notebook, executed)
    html_path = None
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(notebook)
        html_path = executed.with_suffix(".html")
        html_path.write_text(body, encoding="utf-8")
    return NotebookRun(path.stem, seconds, error, executed, html_path)


def execute_all(profile: str, out: Path | str, *, notebooks_dir: Path | str | None = None,
                data_dir: Path | str | None = None, runs_dir: Path | str | None = None,
                figures_dir: Path | str | None = None, timeout: int | None = None,
                only: list[str] | None = None, html: bool = True,
                log=print) -> list[NotebookRun]:
    """Executes every numbered notebook (or those whose names start with ``only``) in order."""
    if profile not in PROFILES:
        raise ValueError(f"profile={profile!r} is not valid; choose one of {list(PROFILES)}")
    root = repo_root()
    out_dir = Path(out) / profile
    if figures_dir is None:
        figures_dir = out_dir / "figures" if profile == "smoke" else root / "figures"
    env = notebook_env(profile, data_dir=Path(data_dir or root / "data"),
                       runs_dir=Path(runs_dir or root / "runs"), figures_dir=Path(figures_dir))
    paths = notebook_paths(notebooks_dir or root / "notebooks")
    if only:
        paths = [p for p in paths if any(p.name.startswith(prefix) for prefix in only)]
    if not paths:
        raise FileNotFoundError(f"no notebooks to run in {notebooks_dir or root / 'notebooks'}")
    timeout = timeout or CELL_TIMEOUTS[profile]
    log(f"executing {len(paths)} notebooks, profile {profile}, cell timeout {timeout} s; "
        f"executed copies -> {out_dir}, figures -> {env['MINBERT_FIGURES_DIR']}")
    runs = []
    for path in paths:
        run = execute_notebook(path, out_dir, env=env, timeout=timeout, html=html)
        log(f"  {run.name}: {'ok' if run.ok else 'FAILED'} in {run.seconds:.0f} s"
            + (f"\n    {run.error}" if run.error else ""))
        runs.append(run)
    return runs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m minbert_lab.notebooks",
                                     description="Execute the study notebooks top to bottom.")
    parser.add_argument("--profile", default="quick", choices=list(PROFILES))
    parser.add_argument("--out", default="outputs", help="executed copies go to OUT/PROFILE/")
    parser.add_argument("--data-dir", help="prepared data (default: <repo>/data)")
    parser.add_argument("--runs-dir", help="run cache (default: <repo>/runs)")
    parser.add_argument("--figures-dir", help="figures and tables (default: <repo>/figures; "
                        "smoke: OUT/smoke/figures)")
    parser.add_argument("--timeout", type=int, help="seconds per cell (default: by profile, "
                        + ", ".join(f"{k} {v}" for k, v in CELL_TIMEOUTS.items()) + ")")
    parser.add_argument("--only", nargs="*", metavar="PREFIX",
                        help="run only notebooks whose names start with these, e.g. 01 05")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    runs = execute_all(args.profile, args.out, data_dir=args.data_dir, runs_dir=args.runs_dir,
                       figures_dir=args.figures_dir, timeout=args.timeout, only=args.only,
                       html=not args.no_html)
    failed = [run.name for run in runs if not run.ok]
    print(f"{len(runs) - len(failed)} of {len(runs)} notebooks ran without errors in "
          f"{time.perf_counter() - started:.0f} s" + (f"; failed: {failed}" if failed else ""))
    return 1 if failed else 0


def _first_lines(text: str, n: int = 25) -> str:
    lines = text.strip().splitlines()
    return "\n".join(lines[-n:])  # the traceback's end names the error


if __name__ == "__main__":
    sys.exit(main())
