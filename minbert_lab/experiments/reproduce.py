"""Reproducing a committed run: train it again from its config and compare, number for number.

A committed all-data result is one training run on one machine. ``reproduce`` trains the same
config again, on the thread count it was trained on, in a scratch run cache of its own (the
committed file is not touched while it trains, and a stopped reproduction resumes there), and
compares the two runs' dev metrics and stored dev predictions (both as committed: 4 decimals).
The verdict is one of:

- **identical**: every metric and every stored prediction the same, bit for bit. The same
  config, data, seed and thread count on the same CPU and code give this.
- **within float noise**: every metric within ``METRIC_TOLERANCE``, every class prediction the
  same and every other stored value within ``VALUE_TOLERANCE`` (a step or two of the 4th
  decimal). Another CPU's arithmetic (its matrix kernels sum in another order) gives this: a
  seed-0 STS run trained on the 2-core AMD EPYC came back on the Intel Xeon 1.2e-7 apart in
  Pearson r, 17 of 863 predictions one 4th-decimal step apart.
- **not reproduced**: anything more; the code, the data or the config's meaning changed.

A committed result from before a field was kept (SST's class probabilities, which an ensemble
averages) gains it from an **identical** run; nothing else in it changes. A run that is only
within float noise is not mixed into it: with ``replace=True`` the new run replaces the
committed result whole (its numbers move by float noise; the record keeps both scores).
Each reproduction is appended to ``results/reproductions.csv``, to be committed.

Example:
    >>> reproduce(config, data_dir="data")   # trains it again (as long as the first time)
    Reproduction(key='1dd61ad5b0482b90918c', verdict='identical', added=['sst probabilities'], ...)
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import minbert_lab
from minbert_lab.config import NUM_CLASSES, RunConfig
from minbert_lab.data.splits import DATA_DIR
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.committed import RESULTS_DIR
from minbert_lab.experiments.store import RUNS_DIR, RunStore, load_result, save_result
from minbert_lab.files import atomic_write

IDENTICAL, FLOAT_NOISE, NOT_REPRODUCED = "identical", "within float noise", "not reproduced"
METRIC_TOLERANCE = 1e-6  # on each dev metric (observed across CPUs: 1.2e-7)
VALUE_TOLERANCE = 2e-4  # on each stored prediction and confidence (4 decimals: two steps)
RECORD_FILE = "reproductions.csv"


@dataclass(frozen=True)
class Reproduction:
    """How a run trained again compares with its committed result."""

    key: str
    profile: str
    seed: int
    verdict: str  # IDENTICAL, FLOAT_NOISE or NOT_REPRODUCED
    largest_metric_difference: float
    predictions_differing: int  # stored dev values (predictions, confidences) not the same
    largest_value_difference: float
    score_committed: float
    score_again: float
    added: list[str]  # fields added to the committed result from the new run
    replaced: bool  # the committed result is now the new run
    committed_code: str | None
    code: str | None
    machine: str
    threads: int
    date: str

    @property
    def reproduced(self) -> bool:
        return self.verdict != NOT_REPRODUCED

    def line(self) -> str:
        """One line for the terminal."""
        verdict = self.verdict if self.reproduced else self.verdict.upper()
        return (f"{self.key} (seed {self.seed}): {verdict}; score {self.score_committed:.6f} "
                f"committed, {self.score_again:.6f} again; largest metric difference "
                f"{self.largest_metric_difference:.1e}; {self.predictions_differing} stored "
                f"dev values differ (at most {self.largest_value_difference:.1e})"
                + (f"; added to the committed result: {', '.join(self.added)}"
                   if self.added else "")
                + ("; the committed result is now this run" if self.replaced else ""))


def reproduce(config: RunConfig, *, data_dir: Path | str = DATA_DIR,
              runs_dir: Path | str = RUNS_DIR, results_dir: Path | str = RESULTS_DIR,
              replace: bool = False, progress: bool = True,
              label: str | None = None) -> Reproduction:
    """Trains ``config`` again and compares it with its committed result (see above).

    The new run is cached under ``<runs_dir>/reproduce/``, so a second call compares
    without training again.

    Args:
        replace: a run within float noise replaces the committed result (see above).

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
        run_or_load(config, data_dir=data_dir, runs_dir=scratch,
                    results_dir=scratch / "results", progress=progress, label=label)
    # the new run as its committed copy reads (the same slim form as ``committed``)
    again = load_result(RunStore(data_dir, scratch, scratch / "results").committed_path(config))
    metric_difference = _largest_metric_difference(committed["metrics"], again["metrics"])
    differing, value_difference, classes_same = _prediction_differences(
        committed["predictions"], again["predictions"])
    verdict = (NOT_REPRODUCED if metric_difference > METRIC_TOLERANCE or not classes_same
               or value_difference > VALUE_TOLERANCE
               else IDENTICAL if metric_difference == 0 and differing == 0 else FLOAT_NOISE)
    added = _add_missing_fields(committed, again) if verdict == IDENTICAL else []
    replaced = replace and verdict == FLOAT_NOISE
    if added or replaced:
        save_result(path, again if replaced else committed)
    found = Reproduction(
        key=path.stem, profile=config.resolved().profile, seed=config.seed, verdict=verdict,
        largest_metric_difference=metric_difference, predictions_differing=differing,
        largest_value_difference=value_difference,
        score_committed=committed["metrics"]["score"], score_again=again["metrics"]["score"],
        added=added, replaced=replaced,
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


def _prediction_differences(committed: dict, again: dict) -> tuple[int, float, bool]:
    """Over every task's stored dev values (predictions and confidences): how many differ, the
    largest difference, and whether the ids, labels and class predictions are all the same."""
    if committed.keys() != again.keys():
        return 0, float("inf"), False
    differing, largest, same = 0, 0.0, True
    for task, stored in committed.items():
        new = again[task]
        same &= all(stored[f] == new[f] for f in ("ids", "labels"))
        if task in NUM_CLASSES:
            same &= stored["predictions"] == new["predictions"]
        for field in ("predictions", "scores"):
            if len(stored[field]) != len(new[field]):
                return 0, float("inf"), False
            gaps = [abs(a - b) for a, b in zip(stored[field], new[field])]
            differing += sum(gap > 0 for gap in gaps)
            largest = max([largest, *gaps])
    return differing, largest, same


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
