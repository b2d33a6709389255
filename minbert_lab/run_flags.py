"""How the command line spells a ``RunConfig``, both ways: the ``run`` command's flags
(``RUN_FLAGS``, one line per config field), ``config_from_args`` (flags -> config) and
``run_command`` (config -> the command line that trains it, for hints and notes).

Example:
    >>> run_command(RunConfig(tasks={"sst": TaskConfig("linear", "cross_entropy", "smart", 3.0)},
    ...                       epochs=3))
    'python -m minbert_lab run --tasks sst --reg sst=smart:3.0 --profile quick --epochs 3'
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
from dataclasses import dataclass

from minbert_lab.config import (
    DEFAULT_LOSS,
    DISTILLS,
    GRADIENT_SURGERIES,
    HEAD_ALIASES,
    HEAD_LABELS,
    HEADS,
    LOSS_ALIASES,
    LOSS_LABELS,
    LOSSES,
    LR_SCHEDULES,
    ORDERINGS,
    PAIR_PROJECTIONS,
    POOLINGS,
    PRECISIONS,
    TASKS,
    TASKS_PER_STEP,
    Ordering,
    RunConfig,
    TaskConfig,
    default_task,
)
from minbert_lab.profiles import PROFILES

# Every spelling the command line reads for a head or a loss: its name, the paper's label
# tables print (HEAD_LABELS, LOSS_LABELS) and the short aliases TaskConfig accepts. The CLI maps
# a label to its name itself because TaskConfig reads only the aliases (not "BCE" or "MNR").
HEAD_SPELLINGS = {**{label: name for name, label in HEAD_LABELS.items()}, **HEAD_ALIASES}
LOSS_SPELLINGS = {**{label: name for name, label in LOSS_LABELS.items()}, **LOSS_ALIASES}


def spellings(name: str, table: dict[str, str]) -> list[str]:
    """The other ways to write ``name`` in ``table`` (``HEAD_SPELLINGS`` / ``LOSS_SPELLINGS``)."""
    return [spelling for spelling, target in table.items() if target == name and spelling != name]


def _named(name: str, table: dict[str, str], default: bool) -> str:
    others = spellings(name, table)
    return (name + (f" [{', '.join(others)}]" if others else "")
            + (" *" if default else ""))


def heads_and_losses() -> str:
    """Each task's heads and, under each head, the losses that fit it: ``run --help``'s list.

    Built from the tables the config validates against, so it lists exactly what is accepted.
    """
    lines = ["heads and losses (--head TASK=HEAD, --loss TASK=LOSS):",
             "  each task's heads, and under each head the losses that fit it. Write the name or",
             "  a spelling in [brackets] (quote one with a space); * marks the default.", ""]
    for task in TASKS:
        default_head = default_task(task).head
        for i, head in enumerate(HEADS[task]):
            first = f"{task:<6}" if i == 0 else " " * 6
            lines.append(f"  {first}{_named(head, HEAD_SPELLINGS, head == default_head)}")
            lines += [f"          {_named(loss, LOSS_SPELLINGS, loss == DEFAULT_LOSS[task])}"
                      for loss in LOSSES[(task, head)]]
    return "\n".join(lines)


@dataclass(frozen=True)
class Flag:
    """A ``run`` flag that sets one ``RunConfig`` field as it is; its default is the field's.
    ``ordering.<name>`` sets a field of the config's ``Ordering``."""

    field: str
    flag: str
    help: str
    type: type = str
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    lever: bool = False  # listed under "recipe levers"

    @property
    def dest(self) -> str:
        return self.field.replace(".", "_")

    def value(self, config: RunConfig):
        """The value this flag writes for ``config`` (an ordering by its name)."""
        value = config
        for part in self.field.split("."):
            value = getattr(value, part)
        return value.name if isinstance(value, Ordering) else value


# Every RunConfig field the command line sets directly (tasks, heads, losses, regularizers,
# samplers and --shared-trunk are read on their own).
RUN_FLAGS = (
    Flag("profile", "--profile", "how much data and compute; smoke takes seconds",
         choices=tuple(PROFILES)),
    Flag("checkpoint", "--checkpoint", "pretrained model: a bundled name, a folder or a hub "
         "name"),
    Flag("dropout", "--dropout", "dropout probability in the encoder and heads", float),
    Flag("ordering", "--ordering", "which task each multitask step trains",
         choices=tuple(ORDERINGS)),
    Flag("ordering.task", "--ordering-task", "weighted: the task drawn more often",
         choices=tuple(TASKS)),
    Flag("ordering.weight", "--ordering-weight", "weighted: that task's sampling weight, the "
         "others' being 1", float, metavar="W"),
    Flag("ordering.temperature", "--ordering-temperature", "proportional: a task is drawn in "
         "proportion to its batches ** (1 / T); 1 follows the task sizes, larger is flatter",
         float, metavar="T", lever=True),
    Flag("tasks_per_step", "--tasks-per-step", "all: one batch of every task per step (needs "
         "--ordering round_robin)", choices=tuple(TASKS_PER_STEP)),
    Flag("gradient_surgery", "--surgery", "combine an all-tasks step's gradients with PCGrad",
         choices=tuple(GRADIENT_SURGERIES)),
    Flag("conflict_probes", "--conflict-probes", "measure task-gradient cosines at N points of "
         "training", int, metavar="N"),
    Flag("epochs", "--epochs", "passes over the training data", int),
    Flag("lr", "--lr", "peak learning rate (AdamW)", float),
    Flag("batch_size", "--batch-size", "examples per step", int),
    Flag("precision", "--precision", "fp32, or bf16 autocast", choices=tuple(PRECISIONS)),
    Flag("seed", "--seed", "initialisation, batch order and dropout", int),
    Flag("pooling", "--pooling", "sentence embedding: the [CLS] vector or the mean of the "
         "tokens", choices=tuple(POOLINGS), lever=True),
    Flag("pair_projection", "--pair-projection", "how a Siamese head's projection starts; "
         "identity: a fresh S-CS head scores the pretrained cosine",
         choices=tuple(PAIR_PROJECTIONS), lever=True),
    Flag("lr_schedule", "--lr-schedule", "linear: warmup, then linear decay to 0",
         choices=tuple(LR_SCHEDULES), lever=True),
    Flag("warmup_ratio", "--warmup-ratio", "share of the steps spent warming up (with "
         "--lr-schedule linear)", float, metavar="R", lever=True),
    Flag("layer_lr_decay", "--layer-lr-decay", "encoder layer k of L trains at "
         "lr * XI ** (L - k), e.g. 0.9", float, metavar="XI", lever=True),
    Flag("distill", "--distill", "teacher annealing (BAM!): these tasks learn from the gold "
         "labels mixed with the single-task recipe's outputs on the training set, trained "
         "first if not stored", choices=DISTILLS, lever=True),
    Flag("private_top_layer", "--private-top-layer", "a task that gets its own copy of the "
         "encoder's top layer", choices=("none", *TASKS), lever=True),
    Flag("train_outputs", "--train-outputs", "also store the model's outputs on its training "
         "set (a distillation teacher's)", bool, lever=True),
)
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(RunConfig)
             if f.default is not dataclasses.MISSING}
_DEFAULTS["ordering"] = Ordering().name
_DEFAULTS.update({f"ordering.{f.name}": f.default for f in dataclasses.fields(Ordering)
                  if f.name != "name"})


def add_flag(parser: argparse.ArgumentParser, flag: Flag) -> None:
    """Adds ``flag`` to ``parser``, its default shown as the field's."""
    default = _DEFAULTS[flag.field]
    if flag.type is bool:
        parser.add_argument(flag.flag, dest=flag.dest, action="store_true", help=flag.help)
        return
    shown = "the profile's" if default is None else "%(default)s"
    parser.add_argument(flag.flag, dest=flag.dest, type=flag.type, default=default,
                        choices=list(flag.choices) if flag.choices else None,
                        metavar=flag.metavar, help=f"{flag.help} (default: {shown})")


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        task, sep, value = item.partition("=")
        if not sep or task not in TASKS:
            raise ValueError(
                f"{flag} {item!r} is not valid; write TASK=VALUE with TASK in {list(TASKS)}"
            )
        out[task] = value
    return out


def _number(text: str, flag: str, task: str) -> float:
    try:
        return float(text)
    except ValueError:
        if flag == "--reg":
            raise ValueError(f"{flag} {task}=...:{text!r} is not valid; the weight after ':' "
                             "must be a number, e.g. sst=smart:3") from None
        raise ValueError(f"{flag} {task}={text!r} is not valid; give a number, e.g. "
                         f"{flag} sst=0.1") from None


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Builds a validated RunConfig from ``run`` arguments (ValueError on bad values)."""
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    heads, losses = _pairs(args.head, "--head"), _pairs(args.loss, "--loss")
    regs, samplers = _pairs(args.reg, "--reg"), _pairs(args.sampler, "--sampler")
    smoothing = _pairs(args.label_smoothing, "--label-smoothing")
    configs = {}
    for task in tasks:
        if task not in TASKS:
            raise ValueError(f"--tasks: {task!r} is not valid; choose from {list(TASKS)}")
        head = heads.get(task, default_task(task).head)
        loss = losses.get(task, DEFAULT_LOSS[task])  # it fits every head of its task
        reg, _, weight = regs.get(task, "none").partition(":")
        configs[task] = TaskConfig(HEAD_SPELLINGS.get(head, head), LOSS_SPELLINGS.get(loss, loss),
                                   reg, _number(weight, "--reg", task) if weight else 1.0,
                                   sampler=samplers.get(task, "uniform"),
                                   label_smoothing=_number(smoothing.get(task, "0"),
                                                           "--label-smoothing", task))
    fields = {flag.field: getattr(args, flag.dest) for flag in RUN_FLAGS}
    ordering = Ordering(fields.pop("ordering"), **{
        name.removeprefix("ordering."): fields.pop(name)
        for name in list(fields) if name.startswith("ordering.")})
    return RunConfig(tasks=configs, shared_trunk=args.shared_trunk, ordering=ordering, **fields)


def run_command(config: RunConfig, *, save_model: str | None = None) -> str:
    """The ``python -m minbert_lab run ...`` line that trains ``config`` (its flags that differ
    from the defaults), for hints and notes; ``config_from_args`` reads it back to ``config``.

    Raises:
        ValueError: a setting no flag sets (max length, a task's weight, ...).
    """
    unset = [name for name, default in _DEFAULTS.items()
             if name not in {f.field for f in RUN_FLAGS} | {"shared_trunk"}
             and getattr(config, name) != default]
    if unset:
        raise ValueError(f"no command-line flag sets {unset} of this config")
    words = ["python -m minbert_lab run", "--tasks", ",".join(config.tasks)]
    for task, tc in config.tasks.items():
        default = default_task(task)
        if tc.head != default.head:
            words += ["--head", f"{task}={tc.head}"]
        if tc.loss != DEFAULT_LOSS[task]:
            words += ["--loss", f"{task}={tc.loss}"]
        if tc.regularizer != "none":
            words += ["--reg", f"{task}={tc.regularizer}:{tc.reg_weight!r}"]
        if tc.sampler != "uniform":
            words += ["--sampler", f"{task}={tc.sampler}"]
        if tc.label_smoothing:
            words += ["--label-smoothing", f"{task}={tc.label_smoothing!r}"]
        if tc.task_weight != 1.0:
            raise ValueError(f"no command-line flag sets tasks.{task}.task_weight")
    if config.shared_trunk:
        words.append("--shared-trunk")
    for flag in RUN_FLAGS:
        value = flag.value(config)
        if flag.type is bool:
            words += [flag.flag] if value else []
        elif value != _DEFAULTS[flag.field] or flag.field == "profile":
            words += [flag.flag, repr(value) if isinstance(value, float) else str(value)]
    if save_model:
        words += ["--save-model", save_model]
    return " ".join([words[0], shlex.join(words[1:])])
