"""``python -m minbert_lab``: prepare data, run one config, run a paper table.

The whole study (every notebook) is ``make study`` or ``python -m minbert_lab.notebooks``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.config import (
    GRADIENT_SURGERIES,
    ORDERINGS,
    PRECISIONS,
    PROFILES,
    REGULARIZERS,
    SAMPLERS,
    TASKS,
    TASKS_PER_STEP,
    RunConfig,
    TaskConfig,
    default_task,
)
from minbert_lab.data.sources import DEFAULT_SOURCE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m minbert_lab", description=__doc__)
    parser.add_argument("--data-dir", default="data", help="prepared data folder (default: data)")
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="data preparation")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    prepare = data_commands.add_parser("prepare", help="fetch, verify and clean the CSVs")
    prepare.add_argument("--source", default=DEFAULT_SOURCE,
                         help="URL or local folder with the CS224N data/ files")

    run = commands.add_parser("run", help="train (or load from cache) one config; print JSON")
    run.add_argument("--tasks", default="sst", help=f"comma-separated subset of {list(TASKS)}")
    run.add_argument("--head", action="append", default=[], metavar="TASK=HEAD")
    run.add_argument("--loss", action="append", default=[], metavar="TASK=LOSS")
    run.add_argument("--reg", action="append", default=[], metavar="TASK=NAME[:WEIGHT]",
                     help=f"regularizer per task, one of {list(REGULARIZERS)}")
    run.add_argument("--profile", default="quick", choices=list(PROFILES))
    run.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT)
    run.add_argument("--dropout", type=float, default=0.1)
    run.add_argument("--ordering", default="shuffled", choices=list(ORDERINGS))
    run.add_argument("--shared-trunk", action="store_true")
    run.add_argument("--sampler", action="append", default=[], metavar="TASK=SAMPLER",
                     help=f"per classification task, one of {list(SAMPLERS)}")
    run.add_argument("--tasks-per-step", default="one", choices=list(TASKS_PER_STEP),
                     help="all: one batch of every task per step (needs --ordering round_robin)")
    run.add_argument("--surgery", default="none", choices=list(GRADIENT_SURGERIES),
                     help="combine an all-tasks step's gradients with PCGrad")
    run.add_argument("--conflict-probes", type=int, default=0, metavar="N",
                     help="measure task-gradient cosines at N points of training")
    run.add_argument("--epochs", type=int)
    run.add_argument("--lr", type=float)
    run.add_argument("--batch-size", type=int)
    run.add_argument("--precision", choices=list(PRECISIONS),
                     help="fp32, or bf16 autocast (default: the profile's)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--runs-dir", default="runs")

    table = commands.add_parser("table", help="run or load a paper grid and print it")
    table.add_argument("table", choices=["1", "2", "3", "4", "dropout"])
    table.add_argument("--profile", default="quick", choices=list(PROFILES))
    table.add_argument("--seed", type=int, default=0)
    table.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT)
    table.add_argument("--runs-dir", default="runs")
    return parser


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
        raise ValueError(f"{flag} {task}=...:{text!r} is not valid; the weight after ':' must be"
                         " a number, e.g. sst=smart:3") from None


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Builds a validated RunConfig from ``run`` arguments (ValueError on bad values)."""
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    heads, losses = _pairs(args.head, "--head"), _pairs(args.loss, "--loss")
    regs, samplers = _pairs(args.reg, "--reg"), _pairs(args.sampler, "--sampler")
    configs = {}
    for task in tasks:
        if task not in TASKS:
            raise ValueError(f"--tasks: {task!r} is not valid; choose from {list(TASKS)}")
        base = default_task(task)
        head = heads.get(task, base.head)
        loss = losses.get(task, base.loss if head == base.head or task == "sst" else None)
        if loss is None:
            loss = {"para": "bce", "sts": "mse"}[task]
        reg, _, weight = regs.get(task, "none").partition(":")
        configs[task] = TaskConfig(head, loss, reg,
                                   _number(weight, "--reg", task) if weight else 1.0,
                                   sampler=samplers.get(task, "uniform"))
    return RunConfig(tasks=configs, profile=args.profile, checkpoint=args.checkpoint,
                     dropout=args.dropout, ordering=args.ordering,
                     shared_trunk=args.shared_trunk, epochs=args.epochs, lr=args.lr,
                     batch_size=args.batch_size, precision=args.precision, seed=args.seed,
                     tasks_per_step=args.tasks_per_step, gradient_surgery=args.surgery,
                     conflict_probes=args.conflict_probes)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except ValueError as err:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    except (FileNotFoundError, OSError, RuntimeError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "data":
        from minbert_lab.data.prepare import prepare

        manifest = prepare(args.source, args.data_dir)
        for split, info in manifest["splits"].items():
            print(f"{split:>11}: {info['rows']:>6,} rows")
        for name, info in manifest["files"].items():
            if info["rows_skipped"]:
                print(f"skipped in {name}: {info['skipped']}")
        print(f"quora split: {manifest['quora_split']}; manifest: "
              f"{Path(args.data_dir) / 'manifest.json'}")
        return 0
    if args.command == "run":
        from minbert_lab.experiments.cache import run_or_load

        config = config_from_args(args)
        result = run_or_load(config, data_dir=args.data_dir, runs_dir=args.runs_dir)
        print(json.dumps({"metrics": result["metrics"], "cached": result["cached"],
                          "timings": result["timings"], "data": result["data"]["split_note"]},
                         indent=2))
        return 0
    if args.command == "table":
        from minbert_lab.experiments.tables import caption, run_grid

        frame = run_grid(args.table, profile=args.profile, seed=args.seed,
                         checkpoint=args.checkpoint, data_dir=args.data_dir,
                         runs_dir=args.runs_dir)
        with_pd_options(lambda: print(frame.to_string(index=False)))
        print(caption(frame))
        return 0
    raise AssertionError(args.command)


def with_pd_options(show) -> None:
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20):
        show()
