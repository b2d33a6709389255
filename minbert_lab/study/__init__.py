"""The notebooks' front door: everything a study notebook calls, from one module.

A notebook builds its :class:`StudySettings` (profile, checkpoint, seeds, folders; whether it
trains or only loads stored runs), shows its :func:`banner`, and asks this package for the
study's tables and figures. Underneath: ``settings.py`` (parameters and folders), ``runs.py``
(the runs a notebook needs, over its seeds), ``paper_tables.py`` (a paper table with its
reading), ``recipe_section.py`` (our recipe, the references, one model against three),
``ceiling.py`` (what limits the score), ``lever_screen.py`` (the levers' screen and
confirmation), ``headline.py`` (the study in one table),
``figures.py`` (Figures 2 and 3), ``extensions.py`` (notebook 04's sections), ``section.py``
(what a section shows), ``submission.py`` (the CS224N files).
This layer trains or loads runs through ``experiments`` and hands them to ``analysis``,
``stats`` and ``plots``.
"""

from minbert_lab.analysis.overview import (
    checkpoint_summary,
    data_notes,
    label_distribution,
    skipped_rows,
    split_sizes,
)
from minbert_lab.config import TASK_TITLES, TASKS
from minbert_lab.plots.heads_diagram import plot_head_architectures
from minbert_lab.study.banner import banner
from minbert_lab.study.ceiling import score_ceiling_section
from minbert_lab.study.error_analysis import (
    best_model,
    para_confusion,
    paraphrase_errors,
    similarity_errors,
    sst_confusion,
)
from minbert_lab.study.extensions import (
    class_balance,
    extensions_study,
    gradient_conflict,
    pcgrad_against_shuffled,
    score_against_cost,
    table4_over_seeds,
    training_plan,
)
from minbert_lab.study.figures import batch_composition, curves
from minbert_lab.study.headline import headline
from minbert_lab.study.lever_screen import lever_confirmation_section, lever_screen_section
from minbert_lab.study.paper_tables import PaperTable, claims_over_seeds, paper_table
from minbert_lab.study.recipe_section import (
    one_against_three,
    recipe_runs,
    recipe_section,
)
from minbert_lab.study.runs import best_multitask_run, dropout_elsewhere
from minbert_lab.study.section import Section
from minbert_lab.study.settings import StudySettings
from minbert_lab.study.submission import submission
from minbert_lab.widgets import AblationExplorer

__all__ = [
    "AblationExplorer",
    "PaperTable",
    "Section",
    "StudySettings",
    "TASKS",
    "TASK_TITLES",
    "banner",
    "batch_composition",
    "best_model",
    "best_multitask_run",
    "checkpoint_summary",
    "claims_over_seeds",
    "class_balance",
    "curves",
    "data_notes",
    "dropout_elsewhere",
    "extensions_study",
    "gradient_conflict",
    "headline",
    "label_distribution",
    "lever_confirmation_section",
    "lever_screen_section",
    "one_against_three",
    "paper_table",
    "score_ceiling_section",
    "para_confusion",
    "paraphrase_errors",
    "pcgrad_against_shuffled",
    "plot_head_architectures",
    "recipe_runs",
    "recipe_section",
    "score_against_cost",
    "similarity_errors",
    "skipped_rows",
    "split_sizes",
    "sst_confusion",
    "submission",
    "table4_over_seeds",
    "training_plan",
]
