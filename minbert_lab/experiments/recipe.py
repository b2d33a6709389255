"""Our multitask recipe: one shared encoder, three heads, every lever an ablation row.

Start from the paper's best multitask setup without regularizers (Table 4, "Shuffled + SST
unreg'd + PD unreg'd": cross-encoders for both pair tasks, shuffled batches) and add levers:

- **CE+CS for STS** (``heads.CrossEncoderCosineHead``): the checkpoint's own mean-pooled cosine
  plus a cross-encoder's correction. Why: on all the data, the single-task cross-encoder reached
  r 0.852 and the untrained cosine 0.838, and a linear fit of the two (10-fold) 0.872, so they
  know different things; as one head, single-task, it reached 0.880.
- **Warmup and linear decay** of the learning rate (the BERT recipe; 10% warmup).
- **Layer-wise learning-rate decay** 0.9 (Sun et al. 2019; lower layers move less).
- **A third epoch** (the all-data profile's budget is 2).

Tried and left out, single-task on all the data (seed 0): mean pooling for SST (0.471 against
CLS's 0.488), and the Siamese cosine head with an identity projection and mean pooling for STS
(r 0.714, below the untrained 0.838). ``recipe_ablations`` removes one lever at a time, so the
table says what each is worth, with its interval, and what it costs in training time.
"""

from __future__ import annotations

import dataclasses

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.config import Ordering, RunConfig, TaskConfig
from minbert_lab.experiments.grids import grid_rows

RECIPE = "ours: best recipe"
# lever label -> the fields that switch it off again (the paper's values)
LEVERS = {
    "CE+CS head for STS": {"tasks": "sts=cross_encoder"},
    "warmup + linear decay": {"lr_schedule": "constant", "warmup_ratio": 0.0},
    "layer-wise lr decay 0.9": {"layer_lr_decay": 1.0},
    "3 epochs": {"epochs": 2},
}


def recipe_config(profile: str = "all-data", *, seed: int = 0,
                  checkpoint: str = DEFAULT_CHECKPOINT) -> RunConfig:
    """The recipe as one config."""
    tasks = {"sst": TaskConfig("linear", "cross_entropy"),
             "para": TaskConfig("cross_encoder", "bce"),
             "sts": TaskConfig("cross_encoder_cosine", "mse")}
    return RunConfig(tasks=tasks, profile=profile, seed=seed, checkpoint=checkpoint,
                     ordering="shuffled", lr_schedule="linear", warmup_ratio=0.1,
                     layer_lr_decay=0.9, epochs=3)


def fair_single_task_config(task: str, profile: str = "all-data", *, seed: int = 0,
                            checkpoint: str = DEFAULT_CHECKPOINT) -> RunConfig:
    """The recipe's own config trained on ``task`` alone: same head, schedule and epochs. It
    keeps its outputs on the training set: it is also ``task``'s teacher when the recipe
    distils (``RunConfig.distill``)."""
    return single_task_of(recipe_config(profile, seed=seed, checkpoint=checkpoint), task)


# The fields that only mean something with several tasks, at their single-task values: a
# multitask config trained on one task leaves them there (a distilling config would be its own
# teacher; a private top layer names a task the run may not have).
MULTITASK_ONLY = {"distill": "none", "private_top_layer": "none", "ordering": Ordering()}


def single_task_of(multitask: RunConfig, task: str) -> RunConfig:
    """``multitask``'s config trained on ``task`` alone (its head, loss, regulariser, schedule
    and epochs), keeping its training-set outputs (a teacher's)."""
    return dataclasses.replace(multitask, tasks={task: multitask.tasks[task]},
                               train_outputs=True, **MULTITASK_ONLY)


def teacher_configs(config: RunConfig) -> dict[str, RunConfig]:
    """Task -> the single-task run whose training-set outputs teach it under
    ``config.distill``: the recipe on that task alone, with the student's profile, seed and
    checkpoint."""
    if config.distill == "none":
        return {}
    tasks = list(config.tasks) if config.distill == "all" else [config.distill]
    return {task: fair_single_task_config(task, config.profile, seed=config.seed,
                                          checkpoint=config.checkpoint) for task in tasks}


def recipe_ablations(profile: str = "all-data", *, seed: int = 0,
                     checkpoint: str = DEFAULT_CHECKPOINT) -> dict[str, RunConfig]:
    """The recipe, then the recipe without each lever: ``"without <lever>"`` -> config."""
    recipe = recipe_config(profile, seed=seed, checkpoint=checkpoint)
    return {RECIPE: recipe, **{f"without {lever}": _without(recipe, off)
                               for lever, off in LEVERS.items()}}


def _without(recipe: RunConfig, off: dict) -> RunConfig:
    """The recipe with one lever's fields back at the paper's values (``"tasks": "t=head"``
    swaps one task's head for the paper's)."""
    off = dict(off)
    if "tasks" in off:
        task, head = off.pop("tasks").split("=")
        tasks = dict(recipe.tasks)
        tasks[task] = dataclasses.replace(tasks[task], head=head)
        off["tasks"] = tasks
    return dataclasses.replace(recipe, **off)


PAPER_BEST = "Shuffled + SST unreg'd + shared linear"  # the paper's best row (score 0.747)
# The single-task references at the profile's budget: the paper's single-task grids' rows.
REFERENCES = {"sst": ("1", "cross entropy loss"), "para": ("2", "CE + BCE"),
              "sts": ("3", "CE + MSE")}


def reference_configs(profile: str = "all-data", *, seed: int = 0,
                      checkpoint: str = DEFAULT_CHECKPOINT) -> dict[str, RunConfig]:
    """Task -> its single-task reference config (SST head + CE; the two cross-encoders)."""
    out = {}
    for task, (table, label) in REFERENCES.items():
        rows = grid_rows(table, profile, seed, checkpoint)
        out[task] = next(row.config for row in rows if row.label == label)
    return out


# Levers screened for the recipe's next form (issue "one multitask model that beats three
# single-task models"): label -> the fields that switch it on, on top of the recipe.
CANDIDATE_LEVERS = {
    "teacher annealing, SST": {"distill": "sst"},
    "teacher annealing, all tasks": {"distill": "all"},
    "private top layer for SST": {"private_top_layer": "sst"},
    "4 epochs": {"epochs": 4},
    "label smoothing 0.1 for SST": {"tasks": {"sst": {"label_smoothing": 0.1}}},
    # SST's best single-task regulariser (Table 1) inside the recipe: about 3x per SST step
    "SMART (lambda=3) for SST": {"tasks": {"sst": {"regularizer": "smart", "reg_weight": 3.0}}},
    # temperature sampling at BAM's exponent 0.75 (task share ~ batches^0.75): SST 28% -> 30%
    # of the steps, STS 20% -> 23%, Quora 52% -> 48%
    "temperature sampling (exponent 0.75)": {"ordering": Ordering("proportional",
                                                                  temperature=4 / 3)},
}
SCREEN_PRECISION = "bf16"  # screens only: 2.5x faster on a CPU with native bf16


def lever_screen(profile: str = "all-data", *, seed: int = 0,
                 checkpoint: str = DEFAULT_CHECKPOINT,
                 precision: str = SCREEN_PRECISION) -> dict[str, RunConfig]:
    """The recipe and the recipe with each candidate lever, all in ``precision``: a screen at
    one seed, to pick the levers worth three fp32 seeds."""
    recipe = dataclasses.replace(recipe_config(profile, seed=seed, checkpoint=checkpoint),
                                 precision=precision)
    return {RECIPE: recipe, **{f"with {lever}": _with(recipe, on)
                               for lever, on in CANDIDATE_LEVERS.items()}}


def lever_confirmation(lever: str, profile: str = "all-data", *, seed: int = 0,
                       checkpoint: str = DEFAULT_CHECKPOINT) -> RunConfig:
    """The recipe with the candidate ``lever`` added, in the profile's precision (fp32 for
    all-data): a lever the screen found promising, confirmed over three seeds like this.

    Raises:
        ValueError: ``lever`` is not in ``CANDIDATE_LEVERS``.
    """
    if lever not in CANDIDATE_LEVERS:
        raise ValueError(f"lever {lever!r} is not a candidate lever; choose from "
                         f"{list(CANDIDATE_LEVERS)}")
    return _with(recipe_config(profile, seed=seed, checkpoint=checkpoint),
                 CANDIDATE_LEVERS[lever])


def _with(recipe: RunConfig, on: dict) -> RunConfig:
    """The recipe with one lever's fields set (``"tasks": {task: {field: value}}`` sets task
    fields)."""
    on = dict(on)
    if "tasks" in on:
        on["tasks"] = {task: dataclasses.replace(tc, **on["tasks"].get(task, {}))
                       for task, tc in recipe.tasks.items()}
    return dataclasses.replace(recipe, **on)
