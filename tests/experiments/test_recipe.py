"""Our recipe's configs (``experiments/recipe.py``): each ablation switches off exactly one lever,
and the single-task references are rows of the paper's grids."""

from __future__ import annotations

from minbert_lab.experiments.grids import GRIDS
from minbert_lab.experiments.recipe import (
    LEVERS,
    RECIPE,
    REFERENCES,
    recipe_ablations,
    recipe_config,
    reference_configs,
)


def _changed(config, other) -> dict:
    """The fields ``other`` changes, a head swap written as LEVERS writes it (``"t=head"``)."""
    a, b = config.to_dict(), other.to_dict()
    changed = {k: b[k] for k in a if a[k] != b[k]}
    if "tasks" in changed:
        swapped = [f"{task}={b['tasks'][task]['head']}" for task in a["tasks"]
                   if a["tasks"][task] != b["tasks"][task]]
        assert all(a["tasks"][t] == {**b["tasks"][t], "head": a["tasks"][t]["head"]}
                   for t in a["tasks"])  # nothing but heads changed
        changed["tasks"] = ",".join(swapped)
    return changed


def test_the_recipe_pulls_every_lever():
    recipe = recipe_config("smoke", seed=3)
    assert (recipe.profile, recipe.seed, recipe.ordering.name) == ("smoke", 3, "shuffled")
    assert recipe.multitask and set(recipe.tasks) == {"sst", "para", "sts"}
    ablations = recipe_ablations("smoke", seed=3)
    assert ablations.pop(RECIPE) == recipe
    assert len(ablations) == len(LEVERS)
    for label, ablation in ablations.items():  # every lever is on: switching it off changes it
        assert ablation != recipe, label


def test_each_ablation_switches_off_exactly_its_lever():
    ablations = recipe_ablations("smoke", seed=1, checkpoint="/models/x")
    recipe = ablations.pop(RECIPE)
    assert recipe == recipe_config("smoke", seed=1, checkpoint="/models/x")
    assert list(ablations) == [f"without {lever}" for lever in LEVERS]
    for lever, off in LEVERS.items():
        assert _changed(recipe, ablations[f"without {lever}"]) == off, lever


def test_the_references_are_the_grids_rows():
    references = reference_configs("smoke", seed=2)
    assert set(references) == {"sst", "para", "sts"}
    for task, (table, label) in REFERENCES.items():
        rows = {row.label: row.config for row in GRIDS[table](profile="smoke", seed=2)}
        assert references[task] == rows[label]
        assert list(references[task].tasks) == [task]  # a single-task row
