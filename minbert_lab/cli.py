"""``python -m minbert_lab``: prepare data, run one config, run a paper table, predict.

The whole study (every notebook) is ``make study`` or ``python -m minbert_lab.run_notebooks``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.config import CLASSIFICATION_TASKS, REGULARIZERS, SAMPLERS, TASKS
from minbert_lab.data.sources import DEFAULT_SOURCE
from minbert_lab.experiments.grids import GRIDS
from minbert_lab.profiles import PROFILES
from minbert_lab.run_flags import RUN_FLAGS, add_flag, config_from_args, heads_and_losses

# One line per command, as ``--help`` and the README's "Command line" section show them.
COMMANDS = {
    "data": "prepare: fetch, verify and clean the CS224N CSVs",
    "run": "train (or load from cache) one config; print JSON",
    "table": "run (or load) a paper table and print it",
    "predict": "write a saved model's CS224N submission files",
    "queue": "train a plan's missing runs in order, or list them",
    "reproduce": "train committed runs again and compare the numbers",
}
EPILOG = """\
'python -m minbert_lab COMMAND --help' shows a command's options.
The whole study (every notebook): make study, or python -m minbert_lab.run_notebooks."""

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
# experiments.queue.PLANS's names, spelled here so `--help` needs no torch import (a test checks
# they are the same)
PLAN_NAMES = ("recipe", "seeds", "single-task", "levers", "confirm")


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
    _add_reproduce_command(commands)
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
        add_flag(levers if flag.lever else run, flag)
    run.add_argument("--runs-dir", default="runs",
                     help="where results are cached (default: %(default)s)")
    run.add_argument("--save-model", metavar="DIR",
                     help="also save the trained model (best epoch's weights, config, "
                          "tokenizer) to DIR, for `predict`; a cached result has no weights, "
                          "so the run is trained again unless DIR already holds it")


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
        epilog="plans: recipe (the recipe, seeds 0-2), seeds (every Table 1-4 config at seeds "
               "1 and 2), single-task (the "
               "recipe on one task at a time, seeds 0-2), levers (the recipe and each "
               "candidate lever, bf16, seed 0), confirm (the recipe with each --lever, "
               "fp32, seeds 0-2)\n\nexamples:\n"
               "  python -m minbert_lab queue seeds --list\n"
               "  python -m minbert_lab queue confirm --lever '4 epochs' --list")
    _add_data_dir(queue, None)
    queue.add_argument("plan", choices=PLAN_NAMES)
    queue.add_argument("--lever", action="append", default=[], metavar="LEVER",
                       help="confirm: a candidate lever to confirm over three seeds (notebook "
                            "02's lever screen names the promising ones); repeat for several")
    queue.add_argument("--profile", default="all-data", choices=list(PROFILES),
                       help="(default: %(default)s)")
    queue.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT,
                       help="(default: %(default)s)")
    queue.add_argument("--runs-dir", default="runs",
                       help="where results are cached (default: %(default)s)")
    queue.add_argument("--list", action="store_true",
                       help="print the plan, each run stored or not, and train nothing")


def _add_reproduce_command(commands) -> None:
    reproduce = commands.add_parser(
        "reproduce", help=COMMANDS["reproduce"], formatter_class=RAW,
        description="Train committed runs again, one after another, on the thread count "
                    "each was trained on, and compare each with its committed result: "
                    "identical (bit for bit), within float noise (metrics within 1e-6, "
                    "stored dev values within 2e-4: another CPU), or not reproduced. An "
                    "identical run adds the fields the committed result lacks (SST class "
                    "probabilities, for an ensemble). Each comparison is appended to "
                    "results/reproductions.csv (experiments.reproduce). Exit status 1 if any "
                    "run did not reproduce.",
        epilog="examples:\n"
               "  python -m minbert_lab reproduce recipe      # a queue plan's committed runs\n"
               "  python -m minbert_lab reproduce 1dd61ad5b0482b90918c   # one committed run")
    _add_data_dir(reproduce, None)
    reproduce.add_argument("runs", nargs="+", metavar="RUN",
                           help=f"a queue plan ({', '.join(PLAN_NAMES)}: its committed runs), or a "
                                "committed result's key or file")
    reproduce.add_argument("--profile", default="all-data", choices=list(PROFILES),
                           help="a plan's profile and where a key is looked up "
                                "(default: %(default)s)")
    reproduce.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT,
                           help="a plan's checkpoint (default: %(default)s)")
    reproduce.add_argument("--replace", action="store_true",
                           help="a run within float noise replaces its committed result whole "
                                "(so that it gains the fields an identical run would add)")
    reproduce.add_argument("--runs-dir", default="runs",
                           help="the new runs are cached under RUNS_DIR/reproduce "
                                "(default: %(default)s)")


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

    if (args.plan == "confirm") != bool(args.lever):
        raise ValueError("queue confirm needs the levers to confirm, e.g. --lever '4 epochs' "
                         "(notebook 02's lever screen names them); --lever is for confirm only")
    levers = {"levers": tuple(args.lever)} if args.lever else {}
    plan = PLANS[args.plan](args.profile, checkpoint=args.checkpoint, **levers)
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


def _reproduce(args: argparse.Namespace) -> int:
    from minbert_lab.experiments.queue import PLANS
    from minbert_lab.experiments.reproduce import committed_config, reproduce
    from minbert_lab.experiments.store import RunStore

    store = RunStore(args.data_dir, args.runs_dir)
    runs = []
    for name in args.runs:
        if name in PLANS:
            plan = PLANS[name](args.profile, checkpoint=args.checkpoint)
            runs += [(label, config) for label, config in plan
                     if (path := store.committed_path(config)) and path.is_file()]
        else:
            runs.append((name, committed_config(name, args.profile, data_dir=args.data_dir)))
    if not runs:
        raise FileNotFoundError(f"nothing committed to reproduce in {', '.join(args.runs)}")
    found = [reproduce(config, data_dir=args.data_dir, runs_dir=args.runs_dir,
                       replace=args.replace, label=f"reproduce {k}/{len(runs)} ({label})")
             for k, (label, config) in enumerate(runs, 1)]
    for reproduction in found:
        print(reproduction.line())
    return 0 if all(r.reproduced for r in found) else 1


# What each command runs (the heavy imports happen inside, so `--help` stays instant).
HANDLERS = {"data": _data, "run": _run, "predict": _predict, "table": _table, "queue": _queue,
            "reproduce": _reproduce}


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
