"""Our multitask recipe: one shared encoder, three heads, every lever an ablation row.

Start from the paper's best multitask setup without regularizers (Table 4, "Shuffled + SST
unreg'd + PD unreg'd": cross-encoders for both pair tasks, shuffled batches) and add the levers
strong fine-tuning recipes use (the BERT recipe's warmup and linear decay; layer-wise rate decay,
Sun et al. 2019; mean pooling, the way all-MiniLM-L6-v2 was pretrained; a third epoch). Each
lever is a ``RunConfig`` field, and ``recipe_ablations`` removes one at a time, so the table
says what each one is worth, with its interval, and what it costs in training time.
"""

from __future__ import annotations

import dataclasses

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.config import RunConfig, TaskConfig
from minbert_lab.experiments.grids import GRIDS

RECIPE = "ours: best recipe"
# lever label -> the fields that switch it off again (the paper's values)
LEVERS = {
    "mean pooling": {"pooling": "cls"},
    "warmup + linear decay": {"lr_schedule": "constant", "warmup_ratio": 0.0},
    "layer-wise lr decay 0.9": {"layer_lr_decay": 1.0},
    "3 epochs": {"epochs": 2},
}


def recipe_config(profile: str = "all-data", *, seed: int = 0,
                  checkpoint: str = DEFAULT_CHECKPOINT) -> RunConfig:
    """The recipe as one config."""
    tasks = {"sst": TaskConfig("linear", "cross_entropy"),
             "para": TaskConfig("cross_encoder", "bce"),
             "sts": TaskConfig("cross_encoder", "mse")}
    return RunConfig(tasks=tasks, profile=profile, seed=seed, checkpoint=checkpoint,
                     ordering="shuffled", pooling="mean", lr_schedule="linear",
                     warmup_ratio=0.1, layer_lr_decay=0.9, epochs=3)


def recipe_ablations(profile: str = "all-data", *, seed: int = 0,
                     checkpoint: str = DEFAULT_CHECKPOINT) -> dict[str, RunConfig]:
    """The recipe, then the recipe without each lever: ``"without <lever>"`` -> config."""
    recipe = recipe_config(profile, seed=seed, checkpoint=checkpoint)
    return {RECIPE: recipe, **{f"without {lever}": dataclasses.replace(recipe, **off)
                               for lever, off in LEVERS.items()}}


PAPER_BEST = "Shuffled + SST unreg'd + shared linear"  # the paper's best row (score 0.747)
# The single-task references at the profile's budget: the paper's single-task grids' rows.
REFERENCES = {"sst": ("1", "cross entropy loss"), "para": ("2", "CE + BCE"),
              "sts": ("3", "CE + MSE")}


def reference_configs(profile: str = "all-data", *, seed: int = 0,
                      checkpoint: str = DEFAULT_CHECKPOINT) -> dict[str, RunConfig]:
    """Task -> its single-task reference config (SST head + CE; the two cross-encoders)."""
    out = {}
    for task, (table, label) in REFERENCES.items():
        rows = GRIDS[table](profile=profile, seed=seed, checkpoint=checkpoint)
        out[task] = next(row.config for row in rows if row.label == label)
    return out
