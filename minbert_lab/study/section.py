"""A notebook section as the library hands it over: figures, tables and the reading under them,
saved under their names and shown in order."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from minbert_lab.experiments.tables import with_intervals
from minbert_lab.study.settings import StudySettings


@dataclass
class Section:
    """What one notebook section shows. Each figure is ``(file name, figure, shows Quora)``,
    each table ``(file name or None: shown only, table)``."""

    figures: list[tuple[str, Figure, bool]] = field(default_factory=list)
    tables: list[tuple[str | None, pd.DataFrame]] = field(default_factory=list)
    reading: str = ""  # Markdown, shown under the figures

    def save(self, study: StudySettings) -> None:
        for name, figure, shows_quora in self.figures:
            study.save_figure(figure, name, shows_quora=shows_quora)
        for name, table in self.tables:
            if name is not None:
                study.save_table(table, name)

    def _ipython_display_(self) -> None:
        from IPython.display import Markdown, display

        for _, figure, _ in self.figures:
            display(figure)
        if self.reading:
            display(Markdown(self.reading))
        for _, table in self.tables:
            display(with_intervals(table))
            if table.attrs.get("caption"):
                display(Markdown(table.attrs["caption"]))
