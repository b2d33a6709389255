"""What the notebooks show of our recipe and the references: the runs, loaded or trained once
through the run cache, and the rows they add to the paper's tables.

- Tables 2 and 3 get a zero-shot row (the pretrained checkpoint's mean-pooled cosine, no
  training): a fine-tune below it made the encoder worse.
- Table 4 gets a row "ours: best recipe" (mean over ``RECIPE_SEEDS``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from minbert_lab.analysis.recipe import combined_single_task
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.recipe import (
    PAPER_BEST,
    RECIPE,
    recipe_ablations,
    recipe_config,
    reference_configs,
)
from minbert_lab.experiments.seeds import run_seeds
from minbert_lab.experiments.tables import grid_rows
from minbert_lab.experiments.zero_shot import LABEL as ZERO_SHOT
from minbert_lab.experiments.zero_shot import zero_shot
from minbert_lab.study.runs import run_configs
from minbert_lab.study.settings import StudySettings
from minbert_lab.training.metrics import METRIC_OF, METRICS

RECIPE_SEEDS = (0, 1, 2)
SINGLE_TASK = "single-task references (one model per task)"


@dataclass
class RecipeRuns:
    """Every stored result the recipe's section reads."""

    recipe: list[dict]  # one per seed of RECIPE_SEEDS
    ablations: dict[str, dict]  # "without <lever>" -> the recipe without it (seed 0)
    references: dict[str, dict]  # task -> its single-task reference
    paper_best: dict  # the paper's best row, our run of it

    def results(self) -> dict[str, list[dict]]:
        """Label -> runs, for ``analysis.recipe``'s tables."""
        return {RECIPE: self.recipe, SINGLE_TASK: [combined_single_task(self.references)],
                f"paper's best config ({PAPER_BEST})": [self.paper_best]}


def recipe_runs(study: StudySettings, *, ablations: bool = True) -> RecipeRuns:
    """Runs or loads the recipe over its seeds, its ablations, the references and the paper's
    best Table 4 row, in the study's profile."""
    kw = {"data_dir": study.data_dir, "runs_dir": study.runs_dir, "progress": study.progress}
    base = recipe_config(study.profile, checkpoint=study.checkpoint)
    recipe = run_seeds({RECIPE: base}, RECIPE_SEEDS, **kw)[RECIPE]
    without = {}
    if ablations:
        configs = recipe_ablations(study.profile, checkpoint=study.checkpoint)
        configs.pop(RECIPE)
        without = run_configs(study, configs)
    references = run_configs(study, reference_configs(study.profile,
                                                      checkpoint=study.checkpoint))
    best = next(r.config for r in grid_rows("4", study.profile, 0, study.checkpoint)
                if r.label == PAPER_BEST)
    return RecipeRuns(recipe, without, references, run_or_load(best, **kw))


def paper_best_numbers(study: StudySettings) -> dict[str, dict[str, float]]:
    """The paper's own numbers for its best Table 4 row, as a summary row."""
    row = next(r for r in grid_rows("4", study.profile, 0, study.checkpoint)
               if r.label == PAPER_BEST)
    return {f"the paper's best (bert-base; {PAPER_BEST})": dict(row.paper)}


def with_zero_shot(frame: pd.DataFrame, task: str, study: StudySettings) -> pd.DataFrame:
    """Table 2 (``task="para"``) or 3 (``"sts"``) with the zero-shot row at the bottom."""
    result = zero_shot(task, profile=study.profile, checkpoint=study.checkpoint,
                       data_dir=study.data_dir, runs_dir=study.runs_dir)
    metric = METRIC_OF[task]
    row = {"label": ZERO_SHOT, f"ours_{metric}": round(result["metrics"][metric], 4),
           f"paper_{metric}": None, "epoch": None, "train_seconds": 0.0,
           "cached": result["cached"]}
    out = pd.concat([frame, pd.DataFrame([row])], ignore_index=True)
    out.attrs = dict(frame.attrs)
    return out


def with_recipe(frame: pd.DataFrame, recipe: list[dict]) -> pd.DataFrame:
    """Table 4 with the row "ours: best recipe": the mean over its seeds."""
    row: dict = {"label": f"{RECIPE} (mean of {len(recipe)} seeds)"}
    for metric in METRICS:
        if f"ours_{metric}" in frame:
            row[f"ours_{metric}"] = round(sum(r["metrics"][metric] for r in recipe)
                                          / len(recipe), 4)
            row[f"paper_{metric}"] = None
    row["epoch"] = None
    row["train_seconds"] = round(sum(r["timings"]["train_seconds"] for r in recipe)
                                 / len(recipe), 1)
    row["cached"] = all(r.get("cached", False) for r in recipe)
    out = pd.concat([frame, pd.DataFrame([row])], ignore_index=True)
    out.attrs = dict(frame.attrs)
    return out
