"""``python -m minbert_lab``: prepare data, run one config, run a paper table, predict.

The whole study (every notebook) is ``make study`` or ``python -m minbert_lab.run_notebooks``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.config import (
    CLASSIFICATION_TASKS,
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
    PROFILES,
    REGULARIZERS,
    SAMPLERS,
    TASKS,
    TASKS_PER_STEP,
    Ordering,
    RunConfig,
    TaskConfig,
    default_task,
)
from minbert_lab.data.sources import DEFAULT_SOURCE
from minbert_lab.experiments.grids import GRIDS

# One line per command, as ``--help`` and the README's "Command line" section show them.
COMMANDS = {
    "data": "prepare: fetch, verify and clean the CS224N CSVs",
    "run": "train (or load from cache) one config; print JSON",
    "table": "run (or load) a paper table and print it",
    "predict": "write a saved model's CS224N submission files",
    "queue": "train a plan's missing runs in order, or list them",
}
EPILOG = """\
'python -m minbert_lab COMMAND --help' shows a command's options.
The whole study (every notebook): make study, or python -m minbert_lab.run_notebooks."""

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


RUN_EXAMPLES = """\
examples:
  python -m minbert_lab run --tasks para --head para=CE --profile smoke
  python -m minbert_lab run --tasks sts --head sts=S-CS --loss sts=cos_emb
  python -m minbert_lab run --tasks sst,para,sts --reg sst=smart:3 --ordering round_robin
  python -m minbert_lab run --profile smoke | jq .metrics    # the result JSON is all of stdout
  python -m minbert_lab run --tasks sst,para,sts --profile smoke --save-model models/smoke
  python -m minbert_lab predict --model models/smoke --out predictions"""


TABLE_EXAMPLES = """\
examples:
  python -m minbert_lab table 4 --profile smoke
  python -m minbert_lab table 4 --profile all-data --stored-only   # the committed rows, no training
  python -m minbert_lab table 4 --executor local --workers 2 --cpus-per-job 1
  python -m minbert_lab table 4 --profile full --executor slurm --partition gpu --workers 7 \\
      --gpus-per-job 1 --cpus-per-job 8 --timeout-min 600"""


def _add_data_dir(parser: argparse.ArgumentParser, default: str | None) -> None:
    # Before or after the command: a subcommand's copy only overrides when it is given.
    parser.add_argument("--data-dir", default=argparse.SUPPRESS if default is None else default,
                        help="prepared data folder (default: data)")
    if default is None:  # a command's bad value is reported with that command's usage line
        parser.set_defaults(command_parser=parser)


RAW = argparse.RawDescriptionHelpFormatter  # keeps the epilogs' lists as written


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m minbert_lab", formatter_class=RAW, epilog=EPILOG,
        description="Prepare the data, fine-tune one config, or run a table of the paper.")
    _add_data_dir(parser, "data")
    commands = parser.add_subparsers(dest="command", required=True, title="commands",
                                     metavar="COMMAND")
    _add_data_command(commands)
    _add_run_command(commands)
    _add_predict_command(commands)
    _add_table_command(commands)
    _add_queue_command(commands)
    return parser


def _add_data_command(commands) -> None:
    data = commands.add_parser("data", help=COMMANDS["data"], description=COMMANDS["data"])
    _add_data_dir(data, None)
    data_commands = data.add_subparsers(dest="data_command", required=True, title="commands",
                                        metavar="COMMAND")
    prepare = data_commands.add_parser("prepare", help="fetch, verify and clean the CSVs")
    _add_data_dir(prepare, None)
    prepare.add_argument("--source", default=DEFAULT_SOURCE,
                         help="URL or local folder with the CS224N data/ files")
    prepare.add_argument("--quora-split", default="auto", choices=["auto", "carved"],
                         help="auto: the official Quora split when the source has "
                              "quora-train.csv, else carved from quora-dev.csv; carved: always "
                              "carved, the split the committed results were trained on "
                              "(default: %(default)s)")


def _add_run_command(commands) -> None:
    run = commands.add_parser("run", help=COMMANDS["run"], formatter_class=RAW,
                              description=COMMANDS["run"],
                              epilog=heads_and_losses() + "\n\n" + RUN_EXAMPLES)
    _add_data_dir(run, None)
    run.add_argument("--tasks", default="sst",
                     help=f"comma-separated subset of {', '.join(TASKS)}, e.g. --tasks sst,para "
                          "(default: %(default)s)")
    run.add_argument("--head", action="append", default=[], metavar="TASK=HEAD",
                     help="a task's head, e.g. --head para=CE (the heads are listed below)")
    run.add_argument("--loss", action="append", default=[], metavar="TASK=LOSS",
                     help="a task's loss, e.g. --loss sts=cos_emb; it must fit the task's head "
                          "(listed below)")
    run.add_argument("--reg", action="append", default=[], metavar="TASK=NAME[:WEIGHT]",
                     help=f"a task's regularizer, one of {', '.join(REGULARIZERS)}, and its "
                          "weight lambda (default 1), e.g. --reg sst=smart:3")
    run.add_argument("--shared-trunk", action="store_true",
                     help="the paper's weight sharing: one Linear + ReLU before all heads")
    run.add_argument("--label-smoothing", action="append", default=[], metavar="TASK=EPS",
                     help="a cross-entropy task's label smoothing, e.g. --label-smoothing "
                          "sst=0.1")
    run.add_argument("--sampler", action="append", default=[], metavar="TASK=SAMPLER",
                     help=f"how a classification task ({', '.join(CLASSIFICATION_TASKS)}) "
                          f"draws examples, one of {', '.join(SAMPLERS)} (every class equally "
                          "likely), e.g. --sampler sst=balanced")
    levers = run.add_argument_group("recipe levers", "(all off by default: the paper's setup)")
    for flag in RUN_FLAGS:
        _add_flag(levers if flag.lever else run, flag)
    run.add_argument("--runs-dir", default="runs",
                     help="where results are cached (default: %(default)s)")
    run.add_argument("--save-model", metavar="DIR",
                     help="also save the trained model (best epoch's weights, config, "
                          "tokenizer) to DIR, for `predict`; a cached result has no weights, "
                          "so the run is trained again unless DIR already holds it")


@dataclass(frozen=True)
class Flag:
    """A ``run`` flag that sets one ``RunConfig`` field as it is; its default is the field's."""

    field: str
    flag: str
    help: str
    type: type = str
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    lever: bool = False  # listed under "recipe levers"


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


def _add_flag(parser, flag: Flag) -> None:
    default = _DEFAULTS[flag.field]
    if flag.type is bool:
        parser.add_argument(flag.flag, dest=flag.field, action="store_true", help=flag.help)
        return
    shown = "the profile's" if default is None else "%(default)s"
    parser.add_argument(flag.flag, dest=flag.field, type=flag.type, default=default,
                        choices=list(flag.choices) if flag.choices else None,
                        metavar=flag.metavar, help=f"{flag.help} (default: {shown})")


def _add_predict_command(commands) -> None:
    predict = commands.add_parser(
        "predict", help=COMMANDS["predict"],
        description="Write the six prediction files of the CS224N starter code, "
                    "{sst,para,sts}-{dev,test}-output.csv, for a model saved by "
                    "`run --save-model DIR`.")
    _add_data_dir(predict, None)
    predict.add_argument("--model", required=True, metavar="DIR",
                         help="a model saved by `run --save-model DIR`")
    predict.add_argument("--out", default="predictions",
                         help="where the files go (default: %(default)s)")
    predict.add_argument("--test-source", metavar="URL_OR_DIR",
                         help="where the *-test-student.csv files are (default: the source "
                              "`data prepare` used)")
    predict.add_argument("--all-dev", action="store_true",
                         help="predict every dev example, not only the subset the run's "
                              "profile scored")


def _add_table_command(commands) -> None:
    table = commands.add_parser("table", help=COMMANDS["table"], description=COMMANDS["table"],
                                formatter_class=RAW, epilog=TABLE_EXAMPLES)
    _add_data_dir(table, None)
    table.add_argument("table", choices=list(GRIDS),
                       help="the paper's Table 1-4, or its dropout ablation")
    table.add_argument("--profile", default="quick", choices=list(PROFILES),
                       help="(default: %(default)s)")
    table.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    table.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT,
                       help="(default: %(default)s)")
    table.add_argument("--runs-dir", default="runs",
                       help="where results are cached (default: %(default)s)")
    table.add_argument("--stored-only", action="store_true",
                       help="train nothing: print the rows already stored (committed results "
                            "or the run cache); the others show the paper's numbers only")
    # The defaults left as None are make_executor's (experiments.fanout, not imported here: it
    # pulls in torch, and --help should stay instant).
    fan = table.add_argument_group(
        "fan-out", "train the rows not yet cached as submitit jobs, then print the table\n"
        "from the cache; without --executor they train here, one after another")
    fan.add_argument("--executor", choices=["local", "slurm"],
                     help="local: processes on this machine; slurm: a Slurm job array")
    fan.add_argument("--workers", type=int, default=2,
                     help="jobs at once (default: %(default)s)")
    fan.add_argument("--cpus-per-job", type=int,
                     help="CPU cores and torch threads per job (default: local, this machine's "
                          "cores / workers; slurm, 4)")
    fan.add_argument("--gpus-per-job", type=int, choices=[0, 1],
                     help="default: 1 on slurm; local, 1 where there are GPUs (each job takes "
                          "one in turn)")
    fan.add_argument("--timeout-min", type=int,
                     help="a job still running then is stopped; running again resumes it "
                          "(default: 720)")
    fan.add_argument("--partition", help="slurm partition (default: the cluster's)")
    fan.add_argument("--submitit-dir",
                     help="job pickles and logs (default: RUNS_DIR/submitit); on a cluster, "
                          "like the data and runs folders, on a file system every node sees")


def _add_queue_command(commands) -> None:
    queue = commands.add_parser(
        "queue", help=COMMANDS["queue"], formatter_class=RAW,
        description="Train a plan's runs that are not stored yet, one after another, in the "
                    "plan's order (experiments.queue); run it again to go on where it stopped.",
        epilog="plans: seeds (every Table 1-4 config at seeds 1 and 2), single-task (the "
               "recipe on one task at a time, seeds 0-2), levers (the recipe and each "
               "candidate lever, bf16, seed 0)\n\nexample:\n"
               "  python -m minbert_lab queue seeds --list")
    _add_data_dir(queue, None)
    queue.add_argument("plan", choices=["seeds", "single-task", "levers"])
    queue.add_argument("--profile", default="all-data", choices=list(PROFILES),
                       help="(default: %(default)s)")
    queue.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT,
                       help="(default: %(default)s)")
    queue.add_argument("--runs-dir", default="runs",
                       help="where results are cached (default: %(default)s)")
    queue.add_argument("--list", action="store_true",
                       help="print the plan, each run stored or not, and train nothing")


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
    return RunConfig(tasks=configs, shared_trunk=args.shared_trunk,
                     **{flag.field: getattr(args, flag.field) for flag in RUN_FLAGS})


def run_command(config: RunConfig, *, save_model: str | None = None) -> str:
    """The ``python -m minbert_lab run ...`` line that trains ``config`` (its flags that differ
    from the defaults), for hints and notes; ``config_from_args`` reads it back to ``config``.

    Raises:
        ValueError: a setting no flag sets (an ordering's task or weight, max length, ...).
    """
    unset = [name for name, default in _DEFAULTS.items()
             if name not in {f.field for f in RUN_FLAGS} | {"shared_trunk", "ordering"}
             and getattr(config, name) != default]
    if config.ordering != Ordering(config.ordering.name) or unset:
        raise ValueError(f"no command-line flag sets {unset or ['ordering']} of this config")
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
        value = getattr(config, flag.field)
        value = value.name if flag.field == "ordering" else value
        if flag.type is bool:
            words += [flag.flag] if value else []
        elif value != _DEFAULTS[flag.field] or flag.field == "profile":
            words += [flag.flag, repr(value) if isinstance(value, float) else str(value)]
    if save_model:
        words += ["--save-model", save_model]
    return " ".join([words[0], shlex.join(words[1:])])


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except ValueError as err:
        command = getattr(args, "command_parser", parser)
        command.print_usage(sys.stderr)
        print(f"{command.prog}: error: {err}", file=sys.stderr)
        return 2
    except (FileNotFoundError, OSError, RuntimeError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:  # training.interrupt.TrainingInterrupted says where
        why = str(err) or ("interrupted; run the same command again: it goes on from the last "
                           "saved resume state, if any")
        print(f"{parser.prog}: {why}", file=sys.stderr)
        return getattr(err, "exit_status", 130)


def _data(args: argparse.Namespace) -> int:
    from minbert_lab.data.prepare import prepare

    manifest = prepare(args.source, args.data_dir, quora_split=args.quora_split)
    for split, info in manifest["splits"].items():
        print(f"{split:>11}: {info['rows']:>6,} rows")
    for name, info in manifest["files"].items():
        if info["rows_skipped"]:
            print(f"skipped in {name}: {info['skipped']}")
    print(f"quora split: {manifest['quora_split']}; manifest: "
          f"{Path(args.data_dir) / 'manifest.json'}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from minbert_lab.experiments.cache import run_or_load
    from minbert_lab.training.distributed import current_world

    config = config_from_args(args)
    shown = "; ".join(f"{task} {tc.label}" for task, tc in config.tasks.items())
    result = run_or_load(config, data_dir=args.data_dir, runs_dir=args.runs_dir,
                         label=f"run ({shown})", save_model=args.save_model)
    if not current_world().main:  # under torchrun, one document: rank 0's (it holds the metrics)
        return 0
    # epochs counted from 1, as the terminal and the tables count them
    metrics = {**result["metrics"], "epoch": result["metrics"]["epoch"] + 1}
    print(strict_json({"metrics": metrics, "cached": result["cached"],
                       "timings": result["timings"], "data": result["data"]["split_note"]}))
    if args.save_model:  # rank 0 saved it
        from minbert_lab.training.saved_model import saved_info

        if saved_info(args.save_model) is None:  # the warning above says why
            print(f"error: no model was saved to {args.save_model}", file=sys.stderr)
            return 1
    return 0


def _predict(args: argparse.Namespace) -> int:
    from minbert_lab.predict import predict

    predict(args.model, args.out, data_dir=args.data_dir, test_source=args.test_source,
            all_dev=args.all_dev)
    return 0


def _table(args: argparse.Namespace) -> int:
    from minbert_lab.experiments.fanout import make_executor
    from minbert_lab.experiments.tables import caption, run_grid

    executor = None
    if args.executor:
        given = {} if args.timeout_min is None else {"timeout_min": args.timeout_min}
        executor = make_executor(
            args.executor, args.submitit_dir or Path(args.runs_dir) / "submitit",
            workers=args.workers, cpus_per_job=args.cpus_per_job,
            gpus_per_job=args.gpus_per_job, partition=args.partition, **given)
    frame = run_grid(args.table, profile=args.profile, seed=args.seed,
                     checkpoint=args.checkpoint, data_dir=args.data_dir,
                     runs_dir=args.runs_dir, executor=executor, stored_only=args.stored_only)
    with_pd_options(lambda: print(frame.to_string(index=False)))
    print(caption(frame))
    return 0


def _queue(args: argparse.Namespace) -> int:
    from minbert_lab.durations import duration
    from minbert_lab.experiments.queue import PLANS, estimated_seconds, is_stored, run_queue
    from minbert_lab.experiments.store import RunStore

    plan = PLANS[args.plan](args.profile, checkpoint=args.checkpoint)
    if args.list:
        missing = []
        for label, config in plan:
            stored = is_stored(config, data_dir=args.data_dir, runs_dir=args.runs_dir)
            print(f"{'stored ' if stored else 'missing'}  {label}")
            missing += [] if stored else [config]
        seconds = estimated_seconds(missing, RunStore(args.data_dir, args.runs_dir))
        print(f"{len(plan) - len(missing)} of {len(plan)} stored; {len(missing)} to train"
              + (f", roughly {duration(seconds)} at the stored runs' pace"
                 if missing and seconds is not None else ""))
        return 0
    run_queue(plan, data_dir=args.data_dir, runs_dir=args.runs_dir)
    return 0


# What each command runs (the heavy imports happen inside, so `--help` stays instant).
HANDLERS = {"data": _data, "run": _run, "predict": _predict, "table": _table, "queue": _queue}


def _dispatch(args: argparse.Namespace) -> int:
    return HANDLERS[args.command](args)


def strict_json(value) -> str:
    """``value`` as strict JSON (RFC 8259): a NaN or infinite number becomes ``null``."""
    def finite(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: finite(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [finite(x) for x in v]
        return v
    return json.dumps(finite(value), indent=2, allow_nan=False)


def with_pd_options(show) -> None:
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20):
        show()
