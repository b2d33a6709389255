"""What the notebooks show of our recipe and the references: the runs, loaded or trained once
through the run cache, and the rows they add to the paper's tables.

- Tables 2 and 3 get a zero-shot row (the pretrained checkpoint's mean-pooled cosine, no
  training): a fine-tune below it made the encoder worse.
- Table 4 gets a row "ours: best recipe" (mean over ``RECIPE_SEEDS``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from minbert_lab.analysis.ensemble import ensemble
from minbert_lab.analysis.overview import PAPER_SHORT
from minbert_lab.analysis.recipe import (
    COST_NOTE,
    ablation_table,
    combined_single_task,
    multitask_claims,
    one_against_three_reading,
    recipe_comparisons,
    recipe_reading,
    recipe_summary,
)
from minbert_lab.experiments.grids import grid_rows
from minbert_lab.experiments.recipe import (
    PAPER_BEST,
    RECIPE,
    fair_single_task_config,
    recipe_ablations,
    recipe_config,
    reference_configs,
)
from minbert_lab.experiments.seeds import run_seeds
from minbert_lab.experiments.zero_shot import LABEL as ZERO_SHOT
from minbert_lab.experiments.zero_shot import zero_shot
from minbert_lab.metrics import METRIC_OF, METRICS
from minbert_lab.profiles import PROFILES
from minbert_lab.stats.significance import t_interval
from minbert_lab.study.runs import grid_results, run_configs, run_seeded
from minbert_lab.study.section import Section
from minbert_lab.study.settings import StudySettings

RECIPE_SEEDS = (0, 1, 2)
# The column `detectable` of a table made by stats.significance.compare, in its caption.
DETECTABLE = ("detectable: the smallest true difference the test would find significant four "
              "times in five at the noise it measured ((1.96 + 0.84) x the standard deviation "
              "of its bootstrap differences), so a difference 'not significant' may be real "
              "but smaller than that.")
SINGLE_TASK = "single-task references (one model per task)"


@dataclass
class RecipeRuns:
    """Every stored result the recipe's section reads."""

    recipe: list[dict]  # one per seed of RECIPE_SEEDS (those stored, in a study that loads)
    ablations: dict[str, dict]  # "without <lever>" -> the recipe without it (seed 0)
    references: dict[str, list[dict]]  # task -> its single-task reference, one per study seed
    paper_best: list[dict]  # the paper's best row, our run of it, one per study seed

    def single_task(self) -> list[dict]:
        """The three references as one model per seed (the seeds all three tasks have)."""
        by_seed = [{r["config"]["seed"]: r for r in runs} for runs in self.references.values()]
        seeds = [s for s in by_seed[0] if all(s in runs for runs in by_seed[1:])]
        return [combined_single_task({task: runs[s] for task, runs
                                      in zip(self.references, by_seed)}) for s in seeds]

    def results(self) -> dict[str, list[dict]]:
        """Label -> runs, for ``analysis.recipe``'s tables."""
        return {RECIPE: self.recipe, SINGLE_TASK: self.single_task(),
                f"paper's best config ({PAPER_BEST})": self.paper_best}


def recipe_runs(study: StudySettings, *, ablations: bool = True) -> RecipeRuns:
    """Runs or loads the recipe over its seeds, its ablations (seed 0), and over the study's
    seeds the references and the paper's best Table 4 row, in the study's profile (loads only,
    in a study that does not train)."""
    kw = {"data_dir": study.data_dir, "runs_dir": study.runs_dir, "progress": study.progress,
          "stored_only": not study.train}
    base = recipe_config(study.profile, checkpoint=study.checkpoint)
    recipe = run_seeds({RECIPE: base}, RECIPE_SEEDS, **kw)[RECIPE]
    without = {}
    if ablations:
        configs = recipe_ablations(study.profile, checkpoint=study.checkpoint)
        configs.pop(RECIPE)
        without = run_configs(study, configs)
    references = run_seeded(study, reference_configs(study.profile,
                                                     checkpoint=study.checkpoint))
    best = next(r.config for r in grid_rows("4", study.profile, 0, study.checkpoint)
                if r.label == PAPER_BEST)
    paper_best = run_seeded(study, {PAPER_BEST: best})[PAPER_BEST]
    return RecipeRuns(recipe, without, references, paper_best)


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
    if "seeds" in out:  # the zero-shot row has no seed count: keep the others whole numbers
        out["seeds"] = out["seeds"].astype("Int64")
    out.attrs = dict(frame.attrs)
    return out


def with_recipe(frame: pd.DataFrame, recipe: list[dict]) -> pd.DataFrame:
    """Table 4 with the row "ours: best recipe": the mean over its seeds (and, in a table over
    seeds, its interval and seed count)."""
    row: dict = {"label": f"{RECIPE} (mean of {len(recipe)} seeds)"}
    for metric in METRICS:
        if f"ours_{metric}" in frame:
            values = [r["metrics"][metric] for r in recipe]
            row[f"ours_{metric}"] = round(sum(values) / len(values), 4)
            row[f"paper_{metric}"] = None
            if f"ours_{metric}_low" in frame:
                mean, low, high = t_interval(values)
                row[f"ours_{metric}_low"], row[f"ours_{metric}_high"] = round(low, 4), round(
                    high, 4)
    if "seeds" in frame:
        row["seeds"] = len(recipe)
    row["epoch"] = None
    seconds = sum(r["timings"]["train_seconds"] for r in recipe)
    # as the table's other rows: summed over seeds in a table over seeds, else one run's
    row["train_seconds"] = round(seconds if "seeds" in frame else seconds / len(recipe), 1)
    row["cached"] = all(r.get("cached", False) for r in recipe)
    out = pd.concat([frame, pd.DataFrame([row])], ignore_index=True)
    if "seeds" in out:  # the zero-shot row has no seed count: keep the others whole numbers
        out["seeds"] = out["seeds"].astype("Int64")
    out.attrs = dict(frame.attrs)
    return out


def recipe_section(study: StudySettings, recipe: RecipeRuns) -> Section:
    """The recipe's tables and reading, from its stored runs (``recipe_runs``): the recipe
    beside the references and the paper, its comparisons, what each lever is worth, and the
    paper's section-5 claims."""
    seed0 = [r for r in recipe.recipe if r["config"]["seed"] == RECIPE_SEEDS[0]]
    if not seed0 or not recipe.paper_best or not all(recipe.references.values()):
        return Section(reading="*Not run yet: the recipe's first seed, the paper's best row "
                               "and the single-task references are needed (this study only "
                               "loads stored runs).*")
    results = recipe.results()
    summary = recipe_summary(results, paper=paper_best_numbers(study))
    comparisons = recipe_comparisons(RECIPE, results)
    ablations = ablation_table(seed0[0], recipe.ablations)
    claims = pd.concat({label: multitask_claims(runs, recipe.references)
                        for label, runs in [(RECIPE, recipe.recipe),
                                            (PAPER_BEST, recipe.paper_best)]},
                       names=["multitask model", None]).reset_index(level=0)
    seeds = {label: len(runs) for label, runs in results.items()}
    note = study.caption_note()
    summary.attrs["caption"] = (
        "Means over seeds with 95% Student-t intervals (seeds: " + "; ".join(
            f"{label} {n}" for label, n in seeds.items()) + f"). {_epochs_note(study)} "
        f"{note}")
    comparisons.attrs["caption"] = (
        "The recipe minus each other model, by the verdict test (stats.significance: seeds "
        f"and dev examples resampled together); {DETECTABLE} {note}")
    ablations.attrs["caption"] = (
        "What each lever is worth: the recipe minus the recipe without it, both seed 0, by the "
        f"verdict test over the dev examples; per-task gains are differences of one run; "
        f"{COST_NOTE}. {note}")
    claims.attrs["caption"] = (
        "The paper's section-5 claims: each multitask model's runs against the single-task "
        f"references' runs, by the verdict test. {note}")
    reading = recipe_reading(summary, RECIPE, comparisons, ablations,
                             claims[claims["multitask model"] == RECIPE])
    return Section(tables=[("recipe", summary), ("recipe-comparisons", comparisons),
                           ("recipe-ablations", ablations), ("multitask-claims", claims)],
                   reading=reading)


def _epochs_note(study: StudySettings) -> str:
    """The recipe's epochs against the profile's, which every other row trains."""
    recipe = recipe_config(study.profile, checkpoint=study.checkpoint).resolved().epochs
    return (f"Epochs: the recipe, alone or on one task at a time, {recipe}; our other rows "
            f"the profile's {PROFILES[study.profile].epochs}; the paper its own ({PAPER_SHORT}).")


ONE_MODEL = "ours: the recipe (one encoder, three heads)"
FAIR_SINGLE = "the recipe on one task at a time (three models)"
BEST_SINGLE = "the best single-task rows of Tables 1-3 (three models)"
ENSEMBLE = "ensemble: the recipe's seeds averaged"
FAIR_ENSEMBLE = "ensemble: the recipe on one task at a time, its seeds averaged"
# Each ensemble row and the system whose seeds it averages: the fair pair at equal training.
ENSEMBLES = {ENSEMBLE: ONE_MODEL, FAIR_ENSEMBLE: FAIR_SINGLE}
# Each task's single-task grid and the metric its best row is picked by.
SINGLE_TASK_GRIDS = {"sst": "1", "para": "2", "sts": "3"}


@dataclass
class OneAgainstThree:
    """The systems of the study's question, as stored runs (``one_against_three_runs``)."""

    results: dict[str, list[dict]]  # label -> runs, one per seed; systems with none left out
    best: dict[str, str | None]  # task -> the label of its best single-task row
    missing: list[str]  # the systems with no stored run yet
    notes: list[str]  # why a system is missing, where it is not just untrained


def one_against_three_runs(study: StudySettings) -> OneAgainstThree:
    """The recipe over its seeds, the recipe trained on each task alone (same heads, schedule
    and epochs: the fair comparison), the best single-task rows of Tables 1-3 (by mean over the
    study's seeds) and ``ENSEMBLES``, the recipe's seeds and the fair models' seeds each
    averaged as one model: run or loaded (loaded only in a study that does not train)."""
    recipe = run_seeds({ONE_MODEL: recipe_config(study.profile, checkpoint=study.checkpoint)},
                       RECIPE_SEEDS, data_dir=study.data_dir, runs_dir=study.runs_dir,
                       progress=study.progress, stored_only=not study.train)[ONE_MODEL]
    best = {task: _best_row(study, grid, METRIC_OF[task])
            for task, grid in SINGLE_TASK_GRIDS.items()}
    results = {ONE_MODEL: recipe, FAIR_SINGLE: fair_single_task_runs(study),
               BEST_SINGLE: _per_seed(best)}
    notes = []
    for label, system in ENSEMBLES.items():
        try:
            results[label] = [ensemble(results[system])] if results[system] else []
        except ValueError as err:
            notes.append(f"No ensemble row for {system}: {err}")
    missing = [label for label, runs in results.items() if not runs]
    return OneAgainstThree({label: runs for label, runs in results.items() if runs},
                           {task: label for task, (label, _) in best.items()}, missing, notes)


def one_against_three(study: StudySettings) -> Section:
    """The study's question: does one multitask model beat three single-task models? The
    systems of ``one_against_three_runs`` beside the paper's best, then the recipe against
    each three-model system by the verdict test. A system with no stored run yet is left out
    and named."""
    question = one_against_three_runs(study)
    results = question.results
    summary = recipe_summary(results, paper=paper_best_numbers(study), one_model=ENSEMBLES)
    systems = {k: v for k, v in results.items() if k not in ENSEMBLES}
    ensembles = {k: v for k, v in results.items() if k in ENSEMBLES}
    comparisons = pd.concat([
        recipe_comparisons(ONE_MODEL, systems) if ONE_MODEL in systems else pd.DataFrame(),
        recipe_comparisons(ENSEMBLE, ensembles) if ENSEMBLE in ensembles else pd.DataFrame()],
        ignore_index=True)
    note = study.caption_note()
    summary.attrs["caption"] = (
        "One model against three: means over the stored seeds with 95% Student-t intervals "
        f"(best single-task rows: {', '.join(f'{t} {b}' for t, b in question.best.items() if b)})"
        + ("; an ensemble row is one model that averages a system's seeds (SST and Quora "
           "probabilities, STS ratings): its 95% interval is over the dev examples (a "
           "percentile bootstrap, with no seed noise in it) and its train minutes are its "
           "seeds' together"
           if ensembles else "")
        + (f"; not run yet: {', '.join(question.missing)}" if question.missing else "")
        + "".join(f". {n}" for n in question.notes) + f". {_epochs_note(study)} {note}")
    if len(comparisons):
        comparisons.attrs["caption"] = (
            "The recipe minus each three-model system, by the verdict test (seeds and dev "
            "examples resampled together)"
            + ("; the two ensembles, one model each, over the dev examples only"
               if len(ensembles) > 1 else "") + f"; {DETECTABLE} {note}")
    reading = (one_against_three_reading(comparisons, ONE_MODEL) if len(comparisons) else "")
    return Section(tables=[("one-against-three", summary)]
                   + ([("one-against-three-tests", comparisons)] if len(comparisons) else []),
                   reading="\n\n".join(filter(None, [reading, " ".join(question.notes)])))


def fair_single_task_runs(study: StudySettings) -> list[dict]:
    """The recipe trained on one task at a time, the three models combined as one per seed of
    ``RECIPE_SEEDS`` that all three tasks have (run or loaded; loaded only in a study that
    does not train)."""
    fair = run_seeds({task: fair_single_task_config(task, study.profile,
                                                    checkpoint=study.checkpoint)
                      for task in METRIC_OF}, RECIPE_SEEDS, data_dir=study.data_dir,
                     runs_dir=study.runs_dir, progress=study.progress,
                     stored_only=not study.train)
    return _per_seed(fair)


def _best_row(study: StudySettings, grid: str, metric: str) -> tuple[str | None, list[dict]]:
    """The label and runs of the grid row with the best mean ``metric`` over its runs."""
    rows = grid_results(study, grid)
    scored = {label: sum(r["metrics"][metric] for r in runs) / len(runs)
              for label, runs in rows.items() if runs}
    if not scored:
        return None, []
    label = max(scored, key=scored.get)
    return label, rows[label]


def _per_seed(systems: dict) -> list[dict]:
    """Three single-task models per seed, combined as one (``combined_single_task``), for the
    seeds every task has. ``systems``: task -> runs, or task -> (label, runs)."""
    runs = {task: (value[1] if isinstance(value, tuple) else value)
            for task, value in systems.items()}
    by_seed = [{r["config"]["seed"]: r for r in task_runs} for task_runs in runs.values()]
    seeds = sorted(set.intersection(*(set(s) for s in by_seed))) if by_seed else []
    return [combined_single_task({task: runs_by_seed[seed] for task, runs_by_seed
                                  in zip(runs, by_seed)}) for seed in seeds]
