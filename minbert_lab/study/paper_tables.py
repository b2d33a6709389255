"""A paper table as a notebook shows it: ours beside the paper's numbers, the written reading
with the paper's claims tested over seeds and dev examples, and, with several seeds, whether
each claim's verdict held from one seed to all of them and a figure of the intervals.

Example (a notebook cell):
    >>> table1 = paper_table(study, "1")
    >>> table1.save(study, "table1")
    >>> table1                      # shows the table, its caption, reading and figure
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from minbert_lab.analysis.recipe import multitask_claims, zero_shot_reading
from minbert_lab.analysis.verdicts import (
    difference_cell,
    reseed_lines,
    reseed_table,
    table_reading,
)
from minbert_lab.config import TASK_TITLES
from minbert_lab.experiments.grids import grid_rows
from minbert_lab.experiments.tables import caption, with_intervals
from minbert_lab.experiments.zero_shot import LABEL as ZERO_SHOT
from minbert_lab.metrics import METRIC_OF, METRICS
from minbert_lab.plots.intervals import plot_intervals
from minbert_lab.stats.significance import seed_summary
from minbert_lab.study.recipe_section import RecipeRuns, with_recipe, with_zero_shot
from minbert_lab.study.runs import dropout_table, grid_results, run_table
from minbert_lab.study.section import Section
from minbert_lab.study.settings import StudySettings

# The pair task whose zero-shot reference row a table gets.
ZERO_SHOT_ROW = {"2": "para", "3": "sts"}


@dataclass
class PaperTable:
    """One paper table of a study, ready to show and save."""

    name: str
    frame: pd.DataFrame
    results: dict[str, list[dict]]  # row label -> its stored runs, one per seed
    reading: str  # Markdown
    reseed: pd.DataFrame | None  # one seed's verdicts against all seeds' (several seeds)
    figure: Figure | None  # row means with intervals, the paper's values marked (several seeds)

    @property
    def caption(self) -> str:
        return caption(self.frame)

    def save(self, study: StudySettings, name: str) -> None:
        """``<name>.csv/.md``, with several seeds ``<name>-over-seeds.csv/.md`` and
        ``<name>-intervals.png``."""
        study.save_table(self.frame, name)
        if self.reseed is not None:
            study.save_table(self.reseed, f"{name}-over-seeds")
        if self.figure is not None:
            study.save_figure(self.figure, f"{name}-intervals",
                              shows_quora="ours_para_acc" in self.frame)

    def _ipython_display_(self) -> None:
        from IPython.display import Markdown, display

        display(with_intervals(self.frame), Markdown(self.caption), Markdown(self.reading))
        if self.reseed is not None:
            display(self.reseed)
        if self.figure is not None:
            display(self.figure)


def paper_table(study: StudySettings, name: str, *,
                recipe: list[dict] | None = None) -> PaperTable:
    """Grid ``name`` (``"1"``-``"4"``, ``"dropout"``) over the study's seeds, with its reading.

    Tables 2 and 3 get the zero-shot reference row; ``recipe`` (Table 4) adds our recipe's row,
    the mean over its runs.
    """
    frame = run_table(study, name)
    if name == "dropout":
        frame = dropout_table(frame)
    if name in ZERO_SHOT_ROW:
        frame = with_zero_shot(frame, ZERO_SHOT_ROW[name], study)
    if recipe:
        frame = with_recipe(frame, recipe)
    results = {label: runs for label, runs in grid_results(study, name).items() if runs}
    reading = table_reading(frame, results, study.data_dir)
    reseed, figure = None, None
    if len(study.seeds) > 1:
        reseed = reseed_table(results, name, profile=study.profile, seed=study.seeds[0])
        reseed.attrs["caption"] = (
            f"Table {name}'s claims, each on seed {study.seeds[0]} alone and on every stored "
            "seed (column seeds: runs behind the better / worse side), by the verdict test "
            "(seeds and dev examples resampled together); held: the verdict did not change. "
            + (study.caption_note() if "ours_para_acc" in frame else study.provenance()))
        reading = "\n".join([reading, *reseed_lines(reseed)])
        figure = _intervals(study, name, results)
    if name in ZERO_SHOT_ROW:
        reading += "\n\n" + zero_shot_reading(frame, ZERO_SHOT_ROW[name], ZERO_SHOT)
    return PaperTable(name, frame, results, reading, reseed, figure)


def _intervals(study: StudySettings, name: str, results: dict[str, list[dict]]) -> Figure:
    rows = grid_rows(name, study.profile, study.seeds[0], study.checkpoint)
    tasks = list(rows[0].config.tasks)
    metrics = list(METRICS) if len(tasks) > 1 else [METRIC_OF[tasks[0]]]
    subject = "multitask" if len(tasks) > 1 else TASK_TITLES[tasks[0]]
    title = (f"Table {name} ({subject}): mean and 95% interval over the stored seeds "
             "(up to " + ", ".join(map(str, study.seeds)) + ")")
    return plot_intervals(seed_summary(results, metrics), metrics, title=title,
                          paper={row.label: row.paper for row in rows})


def claims_over_seeds(study: StudySettings, recipe: RecipeRuns | None = None) -> Section:
    """Single seed -> all seeds: every claim of the paper's Tables 1-4 (and, given the recipe's
    runs, its section-5 claims about multitask learning, for the paper's best config against
    the single-task references), its verdict on seed 0 beside its verdict on every stored seed
    (``analysis.verdicts.reseed_table``): the table ``claims-over-seeds``."""
    first = study.seeds[0]
    frames = []
    for name in ("1", "2", "3", "4"):
        results = {label: runs for label, runs in grid_results(study, name).items() if runs}
        frames.append(reseed_table(results, name, profile=study.profile, seed=first))
    if recipe is not None:
        frames.append(_section5_over_seeds(recipe, first))
    frame = pd.concat(frames, ignore_index=True)
    frame.attrs["caption"] = (
        f"The paper's claims, each on seed {first} alone and on every stored seed (study seeds "
        f"{', '.join(map(str, study.seeds))}; column seeds: runs behind the better / worse "
        "side), by the verdict test of stats.significance (seeds and dev examples resampled "
        "together); held: the verdict did not change. " + study.caption_note())
    return Section(tables=[("claims-over-seeds", frame)])


def _section5_over_seeds(recipe: RecipeRuns, seed: int) -> pd.DataFrame:
    def one(runs: list[dict]) -> list[dict]:
        return [r for r in runs if r["config"]["seed"] == seed]

    before = multitask_claims(one(recipe.paper_best),
                              {t: one(runs) for t, runs in recipe.references.items()})
    after = multitask_claims(recipe.paper_best, recipe.references)
    rows = []
    for b, a in zip(before.to_dict("records"), after.to_dict("records")):
        rows.append({"table": "5", "claim": a["claim"], "metric": a["metric"], "paper": None,
                     f"seed {seed}": difference_cell(b), f"seed {seed} p": b["p_value"],
                     f"seed {seed} verdict": b["verdict"],
                     "seeds": f"{len(recipe.paper_best)} / {after.attrs['reference_seeds']}",
                     "all seeds": difference_cell(a), "all seeds p": a["p_value"],
                     "all seeds verdict": a["verdict"],
                     "held": "held" if a["verdict"] == b["verdict"]
                     else f"{b['verdict']} -> {a['verdict']}"})
    return pd.DataFrame(rows)



