"""A notebook section as the library hands it over: figures, the reading under them and
tables, saved under their names and shown in order."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from minbert_lab.experiments.tables import with_intervals
from minbert_lab.study.settings import StudySettings


@dataclass(frozen=True)
class SectionFigure:
    """A figure and how it is saved: its file name and footer (``StudySettings.save_figure``:
    ``stamp`` True for the provenance line, a text for another one, False for none)."""

    name: str
    figure: Figure
    shows_quora: bool = False
    stamp: bool | str = True


@dataclass
class Section:
    """What one notebook section shows. Each table is ``(file name, table)``, the name
    ``None`` for a table that is shown but not saved; a table's ``attrs["title"]`` is shown
    above it and its ``attrs["caption"]`` under it."""

    figures: list[SectionFigure] = field(default_factory=list)
    tables: list[tuple[str | None, pd.DataFrame]] = field(default_factory=list)
    reading: str = ""  # Markdown, shown under the figures

    def save(self, study: StudySettings) -> None:
        """Saves the figures and the named tables; a table saved without a caption gets the
        study's provenance as one (profile, checkpoint, data split, Quora caveat), so no saved
        table is read without them."""
        for f in self.figures:
            study.save_figure(f.figure, f.name, stamp=f.stamp, shows_quora=f.shows_quora)
        for name, table in self.tables:
            if name is not None:
                if not table.attrs.get("caption"):
                    table.attrs["caption"] = study.caption_note()
                study.save_table(table, name)

    def _ipython_display_(self) -> None:
        from IPython.display import Markdown, display

        for f in self.figures:
            display(f.figure)
        if self.reading:
            display(Markdown(self.reading))
        for _, table in self.tables:
            if table.attrs.get("title"):
                display(Markdown(table.attrs["title"]))
            display(with_intervals(table))
            if table.attrs.get("caption"):
                display(Markdown(table.attrs["caption"]))
