"""Table 4 in the full profile (the paper's batch 64, lr 1e-5, 15 epochs, all data) and our
recipe on a GPU, row by row until a deadline; writes the rows it finished as Markdown, and each
run's committed result (``results/full/<key>.json``) under ``--results-dir``.

    MINBERT_RESULTS_DIR=$OUT/results python -m benchmarks.gpu_table4 --deadline-minutes 10 \
        --out $OUT/table4-full.md

Rows run in the order given (``--rows``, labels separated by ``;``): by default the recipe and
the paper's three best rows first, so a short lease still answers the main question.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import pandas as pd

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.data.splits import load_manifest, split_note
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.grids import GridRow, table4
from minbert_lab.experiments.recipe import PAPER_BEST, RECIPE, recipe_config
from minbert_lab.experiments.tables import METRICS, markdown_table

DEFAULT_ORDER = (RECIPE, PAPER_BEST, "Shuffled batches + SST unreg'd",
                 "Shuffled batches + SST reg'd", "Naive baseline", "Sequential batches",
                 "Shuffled + SST unreg'd + PD unreg'd",
                 "Shuffled + SST unreg'd + SST extra training")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT)
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--runs-dir", default="runs")
    parser.add_argument("--profile", default="full")
    parser.add_argument("--rows", default=";".join(DEFAULT_ORDER),
                        help="Table 4 row labels (and the recipe's), ';'-separated, in run order")
    parser.add_argument("--deadline-minutes", type=float, default=6.0)
    parser.add_argument("--out", default="table4-gpu.md")
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()

    started = time.perf_counter()
    rows = {row.label: row for row in table4(profile=args.profile)}
    rows[RECIPE] = GridRow(RECIPE, recipe_config(args.profile), {})
    records = []
    for index, label in enumerate(args.rows.split(";")):
        if label not in rows:
            raise SystemExit(f"no row {label!r}; choose from {list(rows)}")
        elapsed = (time.perf_counter() - started) / 60
        if records and elapsed + max(r["minutes"] for r in records) > args.deadline_minutes:
            print(f"stopping before {label!r}: {elapsed:.1f} min used")
            break
        row = rows[label]
        config = dataclasses.replace(row.config, checkpoint=args.checkpoint)
        t0 = time.perf_counter()
        result = run_or_load(config, data_dir=args.data_dir, runs_dir=args.runs_dir,
                             device=args.device, progress=False)
        record = {"row": index, "label": row.label}
        for metric in METRICS:
            record[f"ours_{metric}"] = round(result["metrics"][metric], 3)
            record[f"paper_{metric}"] = row.paper.get(metric)
        record["best_epoch"] = result["metrics"]["epoch"] + 1
        record["minutes"] = round((time.perf_counter() - t0) / 60, 2)
        records.append(record)
        print(record, flush=True)
        write(records, args)  # after every row: a run killed at its limit keeps what it finished


def write(records: list[dict], args: argparse.Namespace) -> None:
    frame = pd.DataFrame(records).sort_values("row")
    note = split_note(load_manifest(args.data_dir))
    text = (f"Table 4, {args.profile} profile, on {args.device} (bf16 autocast on a GPU); "
            f"checkpoint {args.checkpoint}; data: {note}\n\n" + markdown_table(frame) + "\n")
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
