"""Notebook 02's figures as sections: Figure 2 (batch composition per ordering) and Figure 3
(training curves), each with what to read under it."""

from __future__ import annotations

import pandas as pd

from minbert_lab.analysis.overview import batches_per_epoch, ordering_counts
from minbert_lab.analysis.verdicts import curves_reading
from minbert_lab.plots.curves import plot_training_curves
from minbert_lab.plots.ordering import plot_batch_composition
from minbert_lab.profiles import PROFILES
from minbert_lab.study.runs import load_rows
from minbert_lab.study.section import Section, SectionFigure
from minbert_lab.study.settings import StudySettings
from minbert_lab.training.ordering import compositions


def batch_composition(study: StudySettings) -> Section:
    """Figure 2: which task each step of an epoch trains, under each ordering, for all the
    training data at the batch size of the study's runs when they train on all the data, else
    the paper's (the full profile's)."""
    setup = study.profile if PROFILES[study.profile].train_examples is None else "full"
    batches = batches_per_epoch(study.data_dir, setup)
    size = PROFILES[setup].batch_size
    seed = study.seeds[0]
    tables = [_captioned(ordering_counts(batches, seed=seed),
                         f"Batches per task in one epoch: all training data, batch {size}")]
    if setup != study.profile:
        tables.append(_captioned(ordering_counts(batches_per_epoch(study.data_dir, study.profile),
                                                 seed=seed),
                                 f"Batches per task in one epoch: the {study.profile} profile"))
    figure = SectionFigure("fig2-batch-composition",
                           plot_batch_composition(compositions(batches, seed=seed)),
                           stamp=f"minBERT Lab: all training data in batches of {size}; "
                                 f"{study.data_note()}")
    return Section(figures=[figure], tables=[(None, t) for t in tables])


def curves(study: StudySettings, grid: str, labels: list[str]) -> Section:
    """Figure 3: the training curves of grid rows ``labels`` (the study's first seed)."""
    runs = load_rows(study, grid, labels)
    missing = [label for label in labels if label not in runs]
    if not runs:
        return Section(reading=f"*Not run yet, so not drawn: {', '.join(missing)}.*")
    reading = curves_reading(runs)
    if missing:
        reading += f"\n\n*Not run yet, so not drawn: {', '.join(missing)}.*"
    figure = SectionFigure("fig3-training-curves", plot_training_curves(runs), shows_quora=True)
    return Section(figures=[figure], reading=reading)


def _captioned(table: pd.DataFrame, caption: str) -> pd.DataFrame:
    table.attrs["caption"] = caption
    return table
