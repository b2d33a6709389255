"""Notebook 03's sections: the paper's error analysis for the best multitask model, Figures 4
and 5 and the examples behind them. Each returns a :class:`Section` from one stored run."""

from __future__ import annotations

from minbert_lab.analysis.errors import (
    class_frequencies,
    confident_errors,
    confusion_frame,
    largest_sts_errors,
    para_confusion_reading,
    sst_frequency_reading,
)
from minbert_lab.analysis.overview import read_clean, train_labels
from minbert_lab.plots.confusion import plot_confusion, plot_sst_confusion
from minbert_lab.study.runs import best_multitask_run
from minbert_lab.study.section import Section, SectionFigure
from minbert_lab.study.settings import StudySettings


def best_model(study: StudySettings) -> tuple[Section, str, dict]:
    """The best Table 4 row by composite score (mean over the stored seeds): a section naming
    it, its label, and the run of the study's first seed that the analysis reads."""
    label, best, row = best_multitask_run(study)
    reading = (f"**Best multitask model (our composite score, mean over the stored seeds):** "
               f"{label}; the errors below are its seed-{best['config']['seed']} run's")
    return Section(tables=[(None, row)], reading=reading), label, best


def sst_confusion(study: StudySettings, best: dict) -> Section:
    """Figure 4: SST's confusion matrix beside the class shares predicted, in training and on
    dev."""
    frequencies = class_frequencies(best, train_labels("sst", study.data_dir,
                                                       profile=study.profile,
                                                       checkpoint=study.checkpoint))
    figure = plot_sst_confusion(confusion_frame(best, "sst"), frequencies)
    return Section(figures=[SectionFigure("fig4-sst-confusion", figure)],
                   tables=[(None, frequencies)], reading=sst_frequency_reading(frequencies))


def para_confusion(best: dict) -> Section:
    """Figure 5: the paraphrase confusion matrix."""
    matrix = confusion_frame(best, "para")
    figure = plot_confusion(matrix, title="Quora paraphrase — best multitask model")
    return Section(figures=[SectionFigure("fig5-para-confusion", figure, shows_quora=True)],
                   reading=para_confusion_reading(matrix))


def paraphrase_errors(study: StudySettings, best: dict, n: int) -> Section:
    """The ``n`` paraphrase mistakes of each kind the model is surest of, with the questions."""
    dev = read_clean("para", "dev", study.data_dir)
    tables = []
    for kind, caption in (("false_positive", "**False positives** (not paraphrases, predicted "
                                             "as paraphrases)"),
                          ("false_negative", "**False negatives** (paraphrases, predicted as "
                                             "not)")):
        table = confident_errors(best, dev, kind, n=n)
        table.attrs["title"] = caption
        tables.append((None, table))
    return Section(tables=tables)


def similarity_errors(study: StudySettings, best: dict, n: int) -> Section:
    """The ``n`` largest STS errors each way, by signed error, with the sentences."""
    return Section(tables=[(None, largest_sts_errors(best, read_clean("sts", "dev",
                                                                      study.data_dir), n=n))])
