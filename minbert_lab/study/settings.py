"""Where a notebook reads data and runs and writes figures: one object, resolved once.

Notebooks run with their own folder as the working directory (papermill, JupyterLab), so every
path is resolved against the repository root, never against the cwd. Environment variables set
by the notebook runner or by tests override the defaults:

======================== ============================================================
``MINBERT_DATA_DIR``     prepared data (default ``<repo>/data``)
``MINBERT_RUNS_DIR``     the run cache (default ``<repo>/runs``)
``MINBERT_FIGURES_DIR``  figures and tables (default ``<repo>/figures/<profile>``, one folder per
                         profile, so running one never overwrites another's; in the smoke profile
                         ``<repo>/outputs/smoke/figures``, so meaningless numbers never
                         replace the ones a reader sees)
``MINBERT_OUTPUTS_DIR``  what a notebook writes besides figures, such as the best model and
                         its prediction files (default ``<repo>/outputs/<profile>``)
``MINBERT_PROGRESS``     ``0`` hides progress bars (the runner sets it for executed copies)
``MINBERT_TRAIN``        ``0``: load stored results only, train nothing (a run not stored shows
                         as not run); ``1``: train what is missing. Default: by profile
                         (``LOAD_ONLY``)
======================== ============================================================

The study's parameters, ``PROFILE`` and ``CHECKPOINT``, live in each notebook's cell tagged
``parameters``, where a reader can see them: ``make study`` (papermill) injects its values after
that cell; opened by hand, the cell reads ``MINBERT_PROFILE`` and ``MINBERT_CHECKPOINT``.
"""

from __future__ import annotations

import io
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT, quora_caveat
from minbert_lab.data.splits import DataNotPreparedError, load_manifest, split_note
from minbert_lab.experiments.tables import to_markdown
from minbert_lab.profiles import LOAD_ONLY, PROFILES, STUDY_SEEDS

_FALSE = ("0", "false", "False", "no", "")
FIGURE_DPI = 150
FOOTER_POINTS = 7


def committed_figures(root: Path, profile: str) -> Path:
    """Where a profile's figures and tables are kept in the repository: ``figures/<profile>``."""
    return Path(root) / "figures" / profile


def repo_root(start: Path | str | None = None) -> Path:
    """The minBERT Lab checkout: the nearest folder above ``start`` (default: cwd) holding
    ``pyproject.toml`` and ``minbert_lab/``; else the folder above the installed package."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "minbert_lab").is_dir():
            return folder
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class StudySettings:
    """A notebook's parameters and folders. Build it with :meth:`from_env`.

    Example:
        >>> study = StudySettings.from_env(profile="smoke", root="/tmp/lab")
        >>> study.figures_dir.as_posix()
        '/tmp/lab/outputs/smoke/figures'
    """

    profile: str
    checkpoint: str
    seeds: tuple[int, ...]
    data_dir: Path
    runs_dir: Path
    figures_dir: Path
    progress: bool = True
    train: bool = True  # False: load stored results only (``MINBERT_TRAIN``)
    outputs_dir: Path | None = None  # None: <repo>/outputs/<profile>
    saved: list[Path] = field(default_factory=list, compare=False)

    @classmethod
    def from_env(cls, *, profile: str = "quick", checkpoint: str = DEFAULT_CHECKPOINT,
                 seeds: list[int] | tuple[int, ...] | None = None,
                 root: Path | str | None = None) -> StudySettings:
        """Validates the parameters and resolves folders (environment first, then defaults).

        ``seeds=None`` takes the profile's (``STUDY_SEEDS``: all-data 0, 1, 2; others 0).

        Raises:
            ValueError: unknown profile, or no seeds.
        """
        if profile not in PROFILES:
            raise ValueError(f"profile={profile!r} is not valid; choose one of {list(PROFILES)}")
        seeds = tuple(STUDY_SEEDS.get(profile, (0,)) if seeds is None else seeds)
        if not seeds or any(not isinstance(s, int) or s < 0 for s in seeds):
            raise ValueError(f"seeds={list(seeds)!r} is not valid; give integers >= 0")
        base = Path(root) if root is not None else repo_root()
        default_figures = (committed_figures(base, profile) if profile != "smoke"
                           else base / "outputs" / "smoke" / "figures")
        env = os.environ
        train = (env["MINBERT_TRAIN"] not in _FALSE if env.get("MINBERT_TRAIN")
                 else profile not in LOAD_ONLY)
        return cls(
            profile=profile,
            checkpoint=checkpoint,
            seeds=seeds,
            data_dir=Path(env.get("MINBERT_DATA_DIR") or base / "data"),
            runs_dir=Path(env.get("MINBERT_RUNS_DIR") or base / "runs"),
            figures_dir=Path(env.get("MINBERT_FIGURES_DIR") or default_figures),
            progress=env.get("MINBERT_PROGRESS", "1") not in _FALSE,
            train=train,
            outputs_dir=Path(env.get("MINBERT_OUTPUTS_DIR") or base / "outputs" / profile),
        )

    def provenance(self) -> str:
        """Profile, checkpoint and data split, in one line for a figure's footer."""
        # A smoke figure can end up anywhere; its footer says first that it means nothing.
        warning = "SMOKE PROFILE, NUMBERS MEANINGLESS: " if self.profile == "smoke" else ""
        return (f"{warning}minBERT Lab, {PROFILES[self.profile].summary()}; checkpoint "
                f"{self.checkpoint}; {self.data_note()}")

    def caption_note(self) -> str:
        """:meth:`provenance` and, for a checkpoint that has one, its Quora caveat: what a
        caption ends with."""
        caveat = quora_caveat(self.checkpoint)
        return self.provenance() + (f". Quora: {caveat}" if caveat else "")

    def data_note(self) -> str:
        try:
            return split_note(load_manifest(self.data_dir))
        except DataNotPreparedError:
            return "data not prepared"

    def save_figure(self, fig: Figure, name: str, *, stamp: bool | str = True,
                    shows_quora: bool = False) -> Path:
        """Writes ``<figures_dir>/<name>.png`` and returns its path.

        ``stamp=True`` adds :meth:`provenance` as a footer strip under the image, so the file
        says what produced it; a string is used as the footer instead; ``False`` adds none
        (diagrams). ``shows_quora`` adds the checkpoint's Quora caveat to the footer.
        ``fig`` itself is left as it was.
        """
        path = self._target(f"{name}.png")
        if shows_quora and stamp is True:
            stamp = self.caption_note()
        elif shows_quora and stamp and (caveat := quora_caveat(self.checkpoint)):
            stamp = f"{stamp}. Quora: {caveat}"
        if not stamp:
            fig.savefig(path, dpi=FIGURE_DPI, bbox_inches="tight")
            return path
        # Render the figure, then paste it above a strip holding the footer: no layout engine
        # or legend placed outside the axes can move anything onto the text.
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
        image = plt.imread(io.BytesIO(buffer.getvalue()))
        height, width = image.shape[:2]
        text = self.provenance() if stamp is True else stamp
        chars_per_line = max(40, int(width / (FOOTER_POINTS * FIGURE_DPI / 72 * 0.55)))
        lines = textwrap.wrap(text, chars_per_line)
        strip = int(len(lines) * FOOTER_POINTS * 1.5 * FIGURE_DPI / 72) + 8
        page = Figure(figsize=(width / FIGURE_DPI, (height + strip) / FIGURE_DPI), dpi=FIGURE_DPI)
        page.figimage(image, xo=0, yo=strip)
        page.text(4 / width, (strip - 4) / (height + strip), "\n".join(lines), va="top",
                  ha="left", fontsize=FOOTER_POINTS, color="0.35")
        page.savefig(path, dpi=FIGURE_DPI)
        return path

    def save_table(self, frame: pd.DataFrame, name: str) -> list[Path]:
        """Writes ``<name>.csv`` and ``<name>.md`` (Markdown with the table's caption)."""
        csv_path, md_path = self._target(f"{name}.csv"), self._target(f"{name}.md")
        frame.to_csv(csv_path, index=False)
        md_path.write_text(to_markdown(frame))
        return [csv_path, md_path]

    def _target(self, filename: str) -> Path:
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        path = self.figures_dir / filename
        self.saved.append(path)
        return path
