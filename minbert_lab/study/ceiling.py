"""Notebook 02's "What limits the score": each task at the best value any stored run of the
profile reached, beside the recipe (``analysis.ceiling``)."""

from __future__ import annotations

from minbert_lab.analysis.ceiling import EVERY_TASK_AT_ITS_BEST, score_ceiling
from minbert_lab.config import RunConfig
from minbert_lab.experiments.queue import every_planned_run
from minbert_lab.experiments.store import RunStore
from minbert_lab.study.section import Section
from minbert_lab.study.settings import StudySettings


def score_ceiling_section(study: StudySettings, recipe: list[dict]) -> Section:
    """The ``score-ceiling`` table over every stored run of the study's profile (each named by
    the plan it belongs to, else by its tasks and key), against ``recipe``'s runs."""
    if not recipe:  # before reading every stored run
        return Section(reading="*What limits the score: the recipe has no stored run yet.*")
    store = RunStore(study.data_dir, study.runs_dir)
    labels = {store.key(config): label
              for label, config in every_planned_run(study.profile, study.checkpoint)}
    stored = store.results(study.profile)
    runs = {labels.get(key) or _described(key, result): result for key, result in stored.items()}
    try:
        table = score_ceiling(runs, recipe)
    except ValueError as err:  # a task no stored run was scored on yet
        return Section(reading=f"*What limits the score: {err} yet.*")
    table.attrs["caption"] = (
        f"What limits the score: each task's best dev metric over the {len(runs)} stored runs "
        "of this profile (single runs: any config, seed or precision, zero-shot included), "
        f"beside the recipe's mean over its seeds ({len(recipe)}); '{EVERY_TASK_AT_ITS_BEST}' "
        "combines the three bests, a score no run reached. The best of many runs is biased "
        f"upwards by the choice. {study.caption_note()}")
    ceiling = table[table["by"] == EVERY_TASK_AT_ITS_BEST].iloc[0]
    held = table.iloc[:3].sort_values("best minus model", ascending=False).iloc[0]
    model = "model (mean over seeds)"
    reading = (f"**With every task at the best value any stored run reached, the score would be "
               f"{ceiling['best reached']:.3f}** (the recipe: {ceiling[model]:.3f} over "
               f"{len(recipe)} seed{'s' if len(recipe) > 1 else ''}). The recipe is furthest "
               f"from that on {held['task']} "
               f"({held['metric']} {held[model]:.3f} against {held['best reached']:.3f}, by "
               f"{held['by']}).")
    return Section(tables=[("score-ceiling", table)], reading=reading)


def _described(key: str, result: dict) -> str:
    """A run no plan names: its tasks' heads and losses, seed and key (its file name)."""
    config = result["config"]
    if "zero_shot" in config:
        return f"zero-shot {config['zero_shot']} (no training)"
    run = RunConfig.from_dict(config)
    tasks = "; ".join(f"{task} {tc.label}" for task, tc in run.tasks.items())
    return f"{tasks}, seed {run.seed} (run {key})"
