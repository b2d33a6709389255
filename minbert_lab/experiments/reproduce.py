"""Reproducing a committed run: train it again from its config and compare, number for number.

A committed all-data result is one training run on one machine. ``reproduce`` trains the same
config again, on the thread count it was trained on, in a scratch run cache of its own (the
committed file is not touched while it trains, and a stopped reproduction resumes there), then
compares the two runs: every dev metric, to ``TOLERANCE``, and every stored dev prediction and
confidence, exactly (both as committed, 4 decimals). The same config, data, seed and thread
count on the same code give the same numbers, so a difference says that one of them, or the
machine's arithmetic, changed.

Where the two runs agree and the committed result predates a field the code now keeps (SST's
class probabilities, which an ensemble averages), the field is added to the committed result
from the new run; nothing else in it changes. Each reproduction is appended to
``results/reproductions.csv``, to be committed: the evidence that a committed number reproduces.

Example:
    >>> reproduce(config, data_dir="data")   # trains it again (as long as the first time)
    Reproduction(key='1dd61ad5b0482b90918c', reproduced=True, added=['sst probabilities'], ...)
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import minbert_lab
from minbert_lab.config import RunConfig
from minbert_lab.data.splits import DATA_DIR
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.committed import RESULTS_DIR
from minbert_lab.experiments.store import RUNS_DIR, RunStore, load_result, save_result
from minbert_lab.files import atomic_write

TOLERANCE = 1e-7  # on each dev metric
RECORD_FILE = "reproductions.csv"


@dataclass(frozen=True)
class Reproduction:
    """How a run trained again compares with its committed result."""

    key: str
    profile: str
    seed: int
    reproduced: bool  # every metric within TOLERANCE and every stored prediction the same
    largest_metric_difference: float
    predictions_identical: bool
    score_committed: float
    score_again: float
    added: list[str]  # fields added to the committed result from the new run
    committed_code: str | None
    code: str | None
    machine: str
    threads: int
    date: str

    def line(self) -> str:
        """One line for the terminal."""
        verdict = "reproduced" if self.reproduced else "NOT reproduced"
        return (f"{self.key} (seed {self.seed}): {verdict}; score {self.score_committed:.6f} "
                f"committed, {self.score_again:.6f} again; largest metric difference "
                f"{self.largest_metric_difference:.1e}; dev predictions "
                f"{'identical' if self.predictions_identical else 'differ'}"
                + (f"; added to the committed result: {', '.join(self.added)}"
                   if self.added else ""))


def reproduce(config: RunConfig, *, data_dir: Path | str = DATA_DIR,
              runs_dir: Path | str = RUNS_DIR, results_dir: Path | str = RESULTS_DIR,
              progress: bool = True, label: str | None = None) -> Reproduction:
    """Trains ``config`` again and compares it with its committed result (see above).

    The new run is cached under ``<runs_dir>/reproduce/``, so a second call compares
    without training again.

    Raises:
        FileNotFoundError: ``config`` has no committed result (its profile is not a committed
            one, or the run was never committed).
    """
    store = RunStore(data_dir, runs_dir, results_dir)
    path = store.committed_path(config)
    committed = load_result(path) if path is not None else None
    if committed is None:
        raise FileNotFoundError(f"no committed result to reproduce for this run (key "
                                f"{store.key(config)}, profile {config.resolved().profile})")
    scratch = Path(runs_dir) / "reproduce"
    with _threads(committed["environment"].get("threads")):
        again = run_or_load(config, data_dir=data_dir, runs_dir=scratch,
                            results_dir=scratch / "results", progress=progress, label=label)
    again = json.loads(json.dumps({k: v for k, v in again.items() if k != "cached"}))  # as read
    difference = _largest_metric_difference(committed["metrics"], again["metrics"])
    identical = _same_predictions(committed["predictions"], again["predictions"])
    reproduced = difference <= TOLERANCE and identical
    added = _add_missing_fields(committed, again) if reproduced else []
    if added:
        save_result(path, committed)
    found = Reproduction(
        key=path.stem, profile=config.resolved().profile, seed=config.seed,
        reproduced=reproduced, largest_metric_difference=difference,
        predictions_identical=identical, score_committed=committed["metrics"]["score"],
        score_again=again["metrics"]["score"], added=added,
        committed_code=committed["environment"].get("code_version"),
        code=again["environment"].get("code_version"), machine=minbert_lab.cpu_model(),
        threads=again["environment"]["threads"],
        date=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    _append_record(Path(results_dir) / RECORD_FILE, found)
    return found


def committed_config(run: str, profile: str = "all-data", *, data_dir: Path | str = DATA_DIR,
                     results_dir: Path | str = RESULTS_DIR) -> RunConfig:
    """The config of the committed result named by ``run``: its key (looked up under
    ``results_dir/profile``) or its file.

    Raises:
        FileNotFoundError: no such committed result, or a damaged one.
        ValueError: with this data and library version, its config is filed under another key
            (it cannot be reproduced here as it was trained).
    """
    path = Path(run) if run.endswith(".json") else Path(results_dir) / profile / f"{run}.json"
    result = load_result(path)
    if result is None:
        raise FileNotFoundError(f"no committed result {path} (a key or a results/ file)")
    config = RunConfig.from_dict(result["config"])
    key = RunStore(data_dir, results_dir=results_dir).key(config)
    if key != path.stem:
        raise ValueError(f"{path.name} was trained on other data or another library version: "
                         f"here its config is filed under {key}")
    return config


@contextlib.contextmanager
def _threads(count: int | None) -> Iterator[None]:
    """Torch on ``count`` intra-op threads (the committed run's: the summation order, and so
    the last bits, depend on it), then back as it was."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count or before)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _largest_metric_difference(committed: dict, again: dict) -> float:
    """The largest absolute difference over the metrics either run has (a metric one of them
    lacks counts as infinitely different)."""
    return max((abs(committed[m] - again[m]) if m in committed and m in again else float("inf"))
               for m in committed.keys() | again.keys())


def _same_predictions(committed: dict, again: dict) -> bool:
    """Whether every task's stored dev ids, predictions and confidences are the same."""
    fields = ("ids", "labels", "predictions", "scores")
    return committed.keys() == again.keys() and all(
        committed[task].get(f) == again[task].get(f) for task in committed for f in fields)


def _add_missing_fields(committed: dict, again: dict) -> list[str]:
    """Copies into ``committed``'s dev predictions the per-task fields only ``again`` has;
    returns them as ``"<task> <field>"``."""
    added = []
    for task, stored in committed["predictions"].items():
        for field in again["predictions"][task].keys() - stored.keys():
            stored[field] = again["predictions"][task][field]
            added.append(f"{task} {field}")
    return sorted(added)


def _append_record(path: Path, found: Reproduction) -> None:
    """Appends ``found`` as a row of the CSV at ``path`` (header first, in a new file)."""
    row = {**asdict(found), "added": "; ".join(found.added)}
    text = path.read_text() if path.is_file() else ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
    if not text:
        writer.writeheader()
    writer.writerow(row)
    atomic_write(path, text + out.getvalue())
