"""A study figure as a notebook shows it: the figure, what to read under it, and how it is
saved (its footer says what produced it)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from minbert_lab.analysis.overview import batches_per_epoch, ordering_counts
from minbert_lab.analysis.verdicts import curves_reading
from minbert_lab.config import PROFILES
from minbert_lab.plots.curves import plot_training_curves
from minbert_lab.plots.ordering import plot_batch_composition
from minbert_lab.study.runs import load_rows
from minbert_lab.study.settings import StudySettings
from minbert_lab.training.ordering import compositions


@dataclass
class StudyFigure:
    """A figure with its reading (Markdown) and the small tables shown under it."""

    figure: Figure
    name: str  # the file name it is saved under, without .png
    reading: str = ""
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    stamp: bool | str = True  # the footer: provenance (True), this text, or none (False)
    shows_quora: bool = False

    def save(self, study: StudySettings, name: str | None = None) -> None:
        study.save_figure(self.figure, name or self.name, stamp=self.stamp,
                          shows_quora=self.shows_quora)

    def _ipython_display_(self) -> None:
        from IPython.display import Markdown, display

        display(self.figure)
        if self.reading:
            display(Markdown(self.reading))
        for title, table in self.tables:
            display(Markdown(title), table)


def batch_composition(study: StudySettings) -> StudyFigure:
    """Figure 2: which task each step of an epoch trains, under each ordering, for all the
    training data at the batch size of the study's runs when they train on all the data, else
    the paper's (the full profile's)."""
    setup = study.profile if PROFILES[study.profile].train_examples is None else "full"
    batches = batches_per_epoch(study.data_dir, setup)
    size = PROFILES[setup].batch_size
    seed = study.seeds[0]
    tables = [(f"**all training data, batch {size}**", ordering_counts(batches, seed=seed))]
    if setup != study.profile:
        tables.append((f"**{study.profile} profile**", ordering_counts(
            batches_per_epoch(study.data_dir, study.profile), seed=seed)))
    return StudyFigure(plot_batch_composition(compositions(batches, seed=seed)),
                       "fig2-batch-composition", tables=tables,
                       stamp=f"minBERT Lab: all training data in batches of {size}; "
                             f"{study.data_note()}")


def curves(study: StudySettings, grid: str, labels: list[str]) -> StudyFigure:
    """Figure 3: the training curves of grid rows ``labels`` (the study's first seed)."""
    runs = load_rows(study, grid, labels)
    missing = [label for label in labels if label not in runs]
    if not runs:
        raise LookupError(f"none of {labels} is stored; train them first")
    reading = curves_reading(runs)
    if missing:
        reading += f"\n\n*Not run yet, so not drawn: {', '.join(missing)}.*"
    return StudyFigure(plot_training_curves(runs), "fig3-training-curves", reading,
                       shows_quora=True)
