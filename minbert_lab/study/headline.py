"""The study in one table, as the README shows it: the paper's number, our seed 0 and our mean
over the stored seeds for each headline result, then the claims that matter most, each on
seed 0 alone and on every stored seed, by the verdict test.

``make study`` (all-data) saves it as ``figures/all-data/headline.md`` and
``headline-claims.md``, and writes them into the README's generated block
(``study.doc_blocks``), so the README follows the committed results as seeds land.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from minbert_lab.analysis.overview import PAPER_SHORT
from minbert_lab.analysis.verdicts import CLAIMS, Claim, reseed_table
from minbert_lab.experiments.grids import grid_rows
from minbert_lab.experiments.recipe import PAPER_BEST, REFERENCES
from minbert_lab.experiments.zero_shot import zero_shot
from minbert_lab.metrics import METRIC_OF
from minbert_lab.stats.significance import example_interval, t_interval
from minbert_lab.study.recipe_section import (
    BEST_SINGLE,
    ENSEMBLE,
    ENSEMBLES,
    FAIR_ENSEMBLE,
    FAIR_SINGLE,
    ONE_MODEL,
    SINGLE_TASK,
    RecipeRuns,
    one_against_three_runs,
)
from minbert_lab.study.runs import grid_results
from minbert_lab.study.section import Section
from minbert_lab.study.settings import StudySettings

BEST_OF_TABLE4 = "Table 4, our best of the paper's rows"
PAPER_BEST_ROW = f"Table 4, the paper's best config ({PAPER_BEST})"
OUR_RUN_OF_PAPER_BEST = f"our run of the paper's best config ({PAPER_BEST})"
# Our own claims about the study's question, tested like the paper's.
QUESTION_CLAIMS = (
    Claim(ONE_MODEL, SINGLE_TASK, "score",
          "the recipe beats the three single-task references"),
    Claim(ONE_MODEL, FAIR_SINGLE, "score",
          "the recipe beats itself trained on one task at a time"),
    Claim(ONE_MODEL, BEST_SINGLE, "score",
          "the recipe beats the best single-task rows of Tables 1-3"),
    Claim(ONE_MODEL, OUR_RUN_OF_PAPER_BEST, "score",
          "the recipe beats the paper's best config"),
)


def headline(study: StudySettings, recipe: RecipeRuns) -> Section:
    """The headline results (``headline``) and claims (``headline-claims``) of a study."""
    table4 = {label: runs for label, runs in grid_results(study, "4").items() if runs}
    paper4 = {row.label: row.paper for row in grid_rows("4", study.profile, 0, study.checkpoint)}
    question = one_against_three_runs(study)
    systems = {ONE_MODEL: question.results.get(ONE_MODEL, []),
               ENSEMBLE: question.results.get(ENSEMBLE, []),
               SINGLE_TASK: recipe.single_task(),
               FAIR_SINGLE: question.results.get(FAIR_SINGLE, []),
               FAIR_ENSEMBLE: question.results.get(FAIR_ENSEMBLE, []),
               BEST_SINGLE: question.results.get(BEST_SINGLE, [])}
    numbers = _numbers(study, table4, paper4, systems)
    best = "; ".join(f"{task} {label}" for task, label in question.best.items() if label)
    numbers.attrs["caption"] = (
        f"The paper's number, ours on seed {study.seeds[0]}, and ours as the mean over the "
        "stored seeds with its 95% Student-t interval (a single seed has none). "
        f"{SINGLE_TASK}: Tables 1-3's plain rows (SST cross entropy; the Quora and STS "
        f"cross-encoders); {BEST_SINGLE}: {best or 'none stored'}; {FAIR_SINGLE}: the "
        "recipe's own config on each task alone. "
        + ("An ensemble row is one model (a system's seeds averaged): its interval is over "
           "the dev examples, with no seed noise in it. "
           if any(systems[label] for label in ENSEMBLES) else "")
        + (f"Not stored yet: {', '.join(name for name, runs in systems.items() if not runs)}. "
           if not all(systems.values()) else "")
        + "".join(f"{note.rstrip('.')}. " for note in question.notes)
        + f"The paper: {PAPER_SHORT}. " + study.caption_note())
    results = {**table4, **systems, OUR_RUN_OF_PAPER_BEST: table4.get(PAPER_BEST, [])}
    # an ensemble is one averaged model, not runs of a seed: no claim is made of it
    results = {label: runs for label, runs in results.items()
               if runs and label not in ENSEMBLES}
    claims = pd.concat([
        reseed_table(results, "4", profile=study.profile, claims=CLAIMS["4"][:1],
                     paper=paper4, seed=study.seeds[0]),
        reseed_table(results, "ours", profile=study.profile, claims=QUESTION_CLAIMS,
                     seed=study.seeds[0])], ignore_index=True)
    claims.attrs["caption"] = (
        "Each claim on seed 0 alone and on every stored seed (column seeds: runs behind each "
        "side), by the verdict test (seeds and dev examples resampled together; RESULTS.md, "
        "\"How a verdict is tested\"). A claim with a side not stored yet is left out. "
        + study.caption_note())
    return Section(tables=[("headline", numbers), ("headline-claims", claims)])


def _numbers(study: StudySettings, table4: dict[str, list[dict]],
             paper4: dict[str, dict[str, float]],
             systems: dict[str, list[dict]]) -> pd.DataFrame:
    scored = {label: _mean(runs, "score") for label, runs in table4.items() if label in paper4}
    rows = []
    if PAPER_BEST in table4:
        rows.append(_row(PAPER_BEST_ROW, "score", paper4[PAPER_BEST].get("score"),
                         table4[PAPER_BEST], study.seeds[0]))
    if scored:
        best = max(scored, key=scored.get)
        rows.append(_row(f"{BEST_OF_TABLE4} ({best})", "score", paper4[best].get("score"),
                         table4[best], study.seeds[0]))
    for label, runs in systems.items():
        if label in ENSEMBLES and runs:
            value, low, high = example_interval(runs[0], "score")
            rows.append({"result": label, "metric": "score", "paper": None,
                         "ours, seed 0": "", "ours, over seeds": f"{value:.3f} [{low:.3f}, "
                         f"{high:.3f}]", "seeds": f"{len(runs[0]['members'])}, averaged"})
        elif runs:
            rows.append(_row(label, "score", None, runs, study.seeds[0]))
    for task, (grid, label) in REFERENCES.items():
        metric = METRIC_OF[task]
        paper = next(r.paper for r in grid_rows(grid, study.profile, 0, study.checkpoint)
                     if r.label == label)
        runs = grid_results(study, grid).get(label, [])
        if runs:
            rows.append(_row(f"Table {grid}, {label}", metric, paper.get(metric), runs,
                             study.seeds[0]))
    for task in ("sts", "para"):
        result = zero_shot(task, profile=study.profile, checkpoint=study.checkpoint,
                           data_dir=study.data_dir, runs_dir=study.runs_dir)
        value = result["metrics"][METRIC_OF[task]]
        rows.append({"result": "zero-shot: the checkpoint's mean-pooled cosine, no training",
                     "metric": METRIC_OF[task], "paper": None, "ours, seed 0": f"{value:.3f}",
                     "ours, over seeds": f"{value:.3f}", "seeds": "no seed"})
    return pd.DataFrame(rows)


def _row(label: str, metric: str, paper: float | None, runs: Sequence[dict],
         first_seed: int) -> dict:
    first = [r for r in runs if r["config"]["seed"] == first_seed]
    mean, low, high = t_interval([r["metrics"][metric] for r in runs])
    interval = "" if pd.isna(low) else f" [{low:.3f}, {high:.3f}]"
    return {"result": label, "metric": metric,
            "paper": None if paper is None else f"{paper:.3f}",
            "ours, seed 0": f"{first[0]['metrics'][metric]:.3f}" if first else "not stored",
            "ours, over seeds": f"{mean:.3f}{interval}", "seeds": str(len(runs))}


def _mean(runs: Sequence[dict], metric: str) -> float:
    return sum(r["metrics"][metric] for r in runs) / len(runs)
