"""``data prepare``: fetch, verify, clean and split the three tasks' CSVs; write the manifest.

Bad rows are skipped and counted by reason, never repaired or guessed. When the source has no
``quora-train.csv`` the Quora train/dev split is carved out of ``quora-dev.csv`` by a hash of
each pair's id, and the manifest says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from minbert_lab import __version__
from minbert_lab.data.sources import (
    OPTIONAL_FILES,
    REQUIRED_FILES,
    fetch,
    is_url,
    sha256_of,
)
from minbert_lab.files import atomic_write

QUORA_CARVE_RULE = "int(sha1(id).hexdigest(), 16) % 5 == 0 -> dev, other labelled pairs -> train"
CARVED = "carved-from-dev"
OFFICIAL = "official"
MAX_SENTENCE_CHARS = 10_000  # far beyond 512 tokens: such a row is garbage, not a sentence


@dataclass(frozen=True)
class FileSpec:
    """The columns of one CS224N file and the labels its task allows."""

    task: str
    sentence_columns: tuple[str, ...]
    label_column: str
    label_kind: str  # "class" (integers low..high) or "score" (floats low..high)
    low: float
    high: float

    @property
    def columns(self) -> tuple[str, ...]:
        return ("id", *self.sentence_columns, self.label_column)


SST = FileSpec("sst", ("sentence",), "sentiment", "class", 0, 4)
QUORA = FileSpec("para", ("sentence1", "sentence2"), "is_duplicate", "class", 0, 1)
STS = FileSpec("sts", ("sentence1", "sentence2"), "similarity", "score", 0, 5)
SPECS = {
    "ids-sst-train.csv": SST,
    "ids-sst-dev.csv": SST,
    "quora-train.csv": QUORA,
    "quora-dev.csv": QUORA,
    "sts-train.csv": STS,
    "sts-dev.csv": STS,
}


class DataFormatError(ValueError):
    """A file does not have the columns its task needs."""


def parse_file(path: Path, spec: FileSpec) -> tuple[pd.DataFrame, dict]:
    """Reads one CS224N file into ``id, sentence1, sentence2, label`` rows.

    Returns the clean rows and a report: rows read, rows kept, and skipped rows by reason.
    Every data line is accounted for: one with an unbalanced quote, which a CSV parser would
    merge with the lines after it (or drop at the end of the file), is skipped and counted.

    Raises:
        DataFormatError: the file is empty, or the header lacks a column the task needs
            (the expected columns are named in the message).
    """
    text = path.read_bytes().decode("utf-8", errors="replace")
    if not text.strip():
        raise DataFormatError(f"{path.name} is empty; a {spec.task} file needs the columns "
                              f"{list(spec.columns)} (tab-separated, with a header row)")
    bad_lines: list[list[str]] = []
    frame = pd.read_csv(
        io.StringIO(text),
        sep="\t",
        dtype=str,
        keep_default_na=False,
        engine="python",
        quoting=csv.QUOTE_MINIMAL,
        on_bad_lines=lambda line: bad_lines.append(line),
    )
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise DataFormatError(
            f"{path.name} lacks columns {missing}; a {spec.task} file needs the columns "
            f"{list(spec.columns)} (tab-separated, with a header row)"
        )
    skipped: Counter[str] = Counter()
    skipped["unparseable line"] += len(bad_lines)
    rows = []
    for record in frame[list(spec.columns)].itertuples(index=False, name=None):
        reason, row = _check_row(record, spec)
        if reason:
            skipped[reason] += 1
        else:
            rows.append(row)
    # The files hold one record per line, so lines the parser did not return as rows (or as
    # bad lines) were swallowed by a quoted field that never closed.
    lines = _data_lines(text)
    skipped["unbalanced quote"] += max(0, lines - len(frame) - len(bad_lines))
    clean = pd.DataFrame(rows, columns=["id", "sentence1", "sentence2", "label"])
    duplicated = clean["id"].duplicated()
    if duplicated.any():
        skipped["duplicate id"] += int(duplicated.sum())
        clean = clean[~duplicated].reset_index(drop=True)
    report = {
        "rows_read": max(lines, len(frame) + len(bad_lines)),
        "rows_kept": len(clean),
        "rows_skipped": sum(skipped.values()),
        "skipped": {k: v for k, v in sorted(skipped.items()) if v},
    }
    return clean, report


def _check_row(record: tuple, spec: FileSpec) -> tuple[str | None, tuple | None]:
    # A line with too few fields gets NaN for the missing ones: they are empty, not "nan".
    row_id, *sentences, raw_label = (v if isinstance(v, str) else "" for v in record)
    if any("\n" in v or "\r" in v for v in (row_id, *sentences, raw_label)):
        return "unbalanced quote", None  # a field ran on over the next lines
    if any("\ufffd" in v for v in (row_id, *sentences, raw_label)):
        return "non-UTF-8 bytes", None
    if not row_id.strip():
        return "missing id", None
    sentences = [s.strip() for s in sentences]
    if any(not s for s in sentences):
        return "missing sentence", None
    if any(len(s) > MAX_SENTENCE_CHARS for s in sentences):
        return f"sentence over {MAX_SENTENCE_CHARS} characters", None
    if not raw_label.strip():
        return "missing label", None
    try:
        label = float(raw_label)
    except ValueError:
        return "unparseable label", None
    if math.isnan(label):
        return "missing label", None
    if not spec.low <= label <= spec.high or (spec.label_kind == "class" and label != int(label)):
        return "label out of range", None
    label = int(label) if spec.label_kind == "class" else label
    second = sentences[1] if len(sentences) > 1 else ""
    return None, (row_id.strip(), sentences[0], second, label)


def _data_lines(text: str) -> int:
    """Non-empty lines after the header (the CSV parser skips empty ones too)."""
    lines = text.replace("\r\n", "\n").split("\n")[1:]
    return sum(1 for line in lines if line)


def quora_is_dev(pair_id: str) -> bool:
    """The documented carve: a fifth of quora-dev.csv, chosen by a hash of the pair's id."""
    return int(hashlib.sha1(pair_id.encode()).hexdigest(), 16) % 5 == 0


QUORA_SPLITS = ("auto", "carved")


def prepare(source: str, data_dir: Path | str = "data", *, quora_split: str = "auto") -> dict:
    """Fetches, verifies and cleans the data; writes ``clean/*.csv`` and ``manifest.json``.

    Every output file is written to a temporary name and renamed into place, and the manifest
    is written last, so an interrupted run never leaves a file that looks complete.

    ``quora_split="auto"`` takes the official Quora train/dev split when the source has
    ``quora-train.csv``, else carves it out of ``quora-dev.csv``; ``"carved"`` always carves
    (the split every committed all-data result was trained on, so a source with the official
    file can still reproduce them).

    A local folder is recorded in the manifest by its absolute path: ``predict`` fetches the
    test files from the recorded source later, from any working directory (a notebook's too).

    Returns:
        The manifest as a dict.
    """
    if not is_url(source):
        source = str(Path(source).expanduser().resolve())
    if quora_split not in QUORA_SPLITS:
        raise ValueError(f"quora_split={quora_split!r} is not valid; choose one of "
                         f"{list(QUORA_SPLITS)}")
    data_dir = Path(data_dir)
    raw, clean_dir = data_dir / "raw", data_dir / "clean"
    files: dict[str, dict] = {}
    frames: dict[str, pd.DataFrame] = {}
    wanted = REQUIRED_FILES + (OPTIONAL_FILES if quora_split == "auto" else ())
    for name in wanted:
        path = fetch(source, name, raw / name, required=name in REQUIRED_FILES)
        if path is None:
            continue
        frames[name], report = parse_file(path, SPECS[name])
        files[name] = {"sha256": sha256_of(path), "bytes": path.stat().st_size, **report}

    splits = {
        "sst-train": frames["ids-sst-train.csv"],
        "sst-dev": frames["ids-sst-dev.csv"],
        "sts-train": frames["sts-train.csv"],
        "sts-dev": frames["sts-dev.csv"],
    }
    if "quora-train.csv" in frames:
        quora_split = OFFICIAL
        splits["para-train"] = frames["quora-train.csv"]
        splits["para-dev"] = frames["quora-dev.csv"]
    else:
        quora_split = CARVED
        quora = frames["quora-dev.csv"]
        dev = quora["id"].map(quora_is_dev)
        splits["para-train"] = quora[~dev].reset_index(drop=True)
        splits["para-dev"] = quora[dev].reset_index(drop=True)

    clean_dir.mkdir(parents=True, exist_ok=True)
    split_info = {}
    for split, frame in splits.items():
        path = clean_dir / f"{split}.csv"
        atomic_write(path, frame.to_csv(index=False))
        split_info[split] = {
            "rows": len(frame), "file": f"clean/{split}.csv", "sha256": sha256_of(path)
        }

    manifest = {
        "source": source,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "minbert_lab_version": __version__,
        "files": files,
        "splits": split_info,
        "quora_split": quora_split,
        "quora_carve_rule": QUORA_CARVE_RULE if quora_split == CARVED else None,
    }
    atomic_write(data_dir / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest

