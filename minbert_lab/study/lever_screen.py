"""The levers of the study's question, in two stages. The screen: the recipe with each
candidate lever added (``experiments.recipe.CANDIDATE_LEVERS``), one seed each, in the
screen's precision, against the recipe in that precision; it picks the levers worth three fp32
seeds and is not itself a verdict on any of them. The confirmation: each picked lever on the
recipe in the profile's precision at the recipe's seeds, against the recipe's seeds by the
verdict test; a lever that helps there is kept.

``python -m minbert_lab queue levers`` trains the screen and ``queue confirm --lever ...`` the
confirmations, never a notebook: these sections only read the stored runs.
"""

from __future__ import annotations

import shlex

import numpy as np

from minbert_lab.analysis.overview import train_labels
from minbert_lab.analysis.recipe import COST_NOTE, confirmation_table, screen_table
from minbert_lab.durations import duration
from minbert_lab.experiments.queue import (
    confirmation_plan,
    estimated_seconds,
    lever_screen_plan,
)
from minbert_lab.experiments.recipe import (
    CANDIDATE_LEVERS,
    RECIPE,
    SCREEN_PRECISION,
    fair_single_task_config,
    lever_screen,
)
from minbert_lab.experiments.store import RunStore
from minbert_lab.study.recipe_section import RECIPE_SEEDS
from minbert_lab.study.section import Section
from minbert_lab.study.settings import StudySettings

# A lever whose screen moves SST by this much or more is worth confirming even when the score
# difference is not significant at one seed (SST is where the recipe loses to single-task).
PROMISING_SST_GAIN = 0.01
# An in-sample teacher this sure of its own training set gives soft labels close to the gold
# one-hot ones, and teacher annealing little to learn from (BAM's teachers are in-sample too).
NEAR_ONE_HOT = 0.85


def lever_screen_section(study: StudySettings) -> Section:
    """The stored screen runs as a table (``lever-screen``): each lever's gain over the recipe
    on the score (with its interval and p-value, over the dev examples of one seed) and on
    each task, and its training cost; a reading naming the levers worth confirming."""
    seed = study.seeds[0]
    configs = lever_screen(study.profile, seed=seed, checkpoint=study.checkpoint)
    store = RunStore(study.data_dir, study.runs_dir)
    stored = {label: result for label, config in configs.items()
              if (result := store.load(config)) is not None}
    baseline = stored.pop(RECIPE, None)
    plan = lever_screen_plan(study.profile, (seed,), study.checkpoint)
    todo = [config for _, config in plan if not store.has(config)]
    if todo:
        seconds = estimated_seconds(todo, store)
        hint = (f"{len(todo)} of {len(plan)} screen runs not stored yet; `python -m minbert_lab "
                "queue levers` trains them" + (f", roughly {duration(seconds)} at the stored "
                                               "runs' fp32 pace (bf16 is faster on a CPU with "
                                               "native bf16)" if seconds else ""))
    else:
        hint = ""
    teacher = _sst_teacher_note(study, store, seed)
    if baseline is None or not stored:
        return Section(reading=f"*Lever screen: not run yet. {hint}.*" + teacher)
    table = screen_table(baseline, stored)
    table.attrs["caption"] = (
        f"Lever screen: the recipe with one lever added minus the recipe, both seed {seed} in "
        f"{SCREEN_PRECISION} (a screen, not a verdict: one seed, and {SCREEN_PRECISION} "
        "numbers do not compare with the fp32 tables); score gain by the paired bootstrap "
        "over the dev examples; per-task gains are differences of one run; training minutes "
        f"as each run timed itself; {COST_NOTE}. " + (f"{hint}. " if hint else "")
        + study.caption_note())
    helps = table[table["verdict"] == "helps"]["lever"].tolist()
    sst = table[table["sst gain"] >= PROMISING_SST_GAIN]["lever"].tolist()
    promising = list(dict.fromkeys(helps + sst))
    reading = ("**Worth three fp32 seeds:** " + "; ".join(promising) + " (a significant score "
               f"gain on the screen's seed, or SST up by {PROMISING_SST_GAIN} or more). "
               + _confirm_hint(study, store, promising)
               if promising else "**No lever is promising on the screen:** none raises the "
               f"score significantly or SST by {PROMISING_SST_GAIN} or more.")
    return Section(tables=[("lever-screen", table)], reading=reading + teacher)


def _confirm_hint(study: StudySettings, store: RunStore, levers: list[str]) -> str:
    """The command that trains the confirmations of ``levers`` not stored yet, with a time."""
    plan = confirmation_plan(study.profile, RECIPE_SEEDS, study.checkpoint, tuple(levers))
    todo = [config for _, config in plan if not store.has(config)]
    if not todo:
        return "Their confirmations are stored (the next section)."
    flags = " ".join(f"--lever {shlex.quote(lever)}" for lever in levers)
    seconds = estimated_seconds(todo, store)
    return (f"`python -m minbert_lab queue confirm {flags}` trains their {len(todo)} "
            "confirmation runs not stored yet"
            + (f", roughly {duration(seconds)} at the stored runs' pace" if seconds else "")
            + ".")


def lever_confirmation_section(study: StudySettings, recipe: list[dict]) -> Section:
    """Each lever with a stored confirmation: the recipe with it, in the profile's precision at
    the recipe's seeds (those stored), minus ``recipe`` (the recipe's runs), by the verdict
    test over seeds and dev examples (``lever-confirmation``); the reading names the levers
    kept (a significant score gain)."""
    store = RunStore(study.data_dir, study.runs_dir)
    confirmed = {}
    for lever in CANDIDATE_LEVERS:
        plan = confirmation_plan(study.profile, RECIPE_SEEDS, study.checkpoint, (lever,))
        if runs := [result for _, config in plan if (result := store.load(config))]:
            confirmed[f"with {lever}"] = runs
    if not confirmed or not recipe:
        return Section(reading="*Lever confirmation: no lever confirmed yet. The screen above "
                               "names the promising ones and the command that confirms "
                               "them.*")
    table = confirmation_table(recipe, confirmed)
    table.attrs["caption"] = (
        "Lever confirmation: the recipe with one lever added minus the recipe, over their "
        "stored seeds (column seeds: with / without) in the profile's precision, by the "
        "verdict test (seeds and dev examples resampled together); per-task gains are "
        "differences of the means over seeds; training minutes per run, as each run timed "
        f"itself; {COST_NOTE}. " + study.caption_note())
    kept = table[table["verdict"] == "helps"]["lever"].tolist()
    reading = ("**Kept:** " + "; ".join(kept) + " (a significant score gain over seeds)."
               if kept else "**No lever is kept:** none raises the score significantly over "
               "seeds.")
    return Section(tables=[("lever-confirmation", table)], reading=reading)


def _sst_teacher_note(study: StudySettings, store: RunStore, seed: int) -> str:
    """How sure the SST teacher is of its own training set, once it is stored: its accuracy
    there and its mean top probability (near one-hot soft labels teach little)."""
    teacher = store.load(fair_single_task_config("sst", study.profile, seed=seed,
                                                 checkpoint=study.checkpoint))
    if teacher is None or "sst" not in teacher.get("train_outputs", {}):
        return ""
    probabilities = np.asarray(teacher["train_outputs"]["sst"]["outputs"], float)
    labels = train_labels("sst", study.data_dir, profile=study.profile,
                          checkpoint=study.checkpoint)
    accuracy = float((probabilities.argmax(1) == labels).mean())
    top = float(probabilities.max(1).mean())
    note = (f"\n\nThe SST teacher (the recipe on SST alone, seed {seed}) is right on "
            f"{accuracy:.1%} of its own training set, with a mean top probability of {top:.2f}")
    if accuracy > NEAR_ONE_HOT:
        note += ("; its soft labels are close to the gold one-hot ones, so teacher annealing "
                 "has little to add (out-of-fold teachers would be softer)")
    return note + "."
