"""One home for stored runs: how a run is keyed, found, saved and locked (``RunStore``).

A run's result is stored once, under a hash of everything that decides it: the resolved config
(:func:`key_form`), the prepared data (the manifest's split checksums) and the library version.
It lives in two places:

- the **run cache** ``<runs_dir>/<profile>/<key>.json``: every profile, full detail, not in git;
- the **committed results** ``<results_dir>/<profile>/<key>.json``: the ``all-data`` and
  ``full`` profiles only, slim (``experiments.committed``), in git, read first.

Each file carries a sha256 of its own body: a truncated or edited file is detected, reported
with a warning and treated as missing, never trusted. Files are written to a temporary name and
renamed, so a reader never sees half a file. Next to a cached result live, while it trains, its
resume state ``<key>.resume`` and a lock ``<key>.lock`` (a second process asking for a run
another is training waits for its result instead of training it again).

Example:
    >>> store = RunStore(data_dir="data")
    >>> store.load(config)          # the stored result (committed first), or None
    >>> store.missing({"a": config})  # label -> config, for those with no stored result
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; atomic renames still keep every file whole
    fcntl = None

import minbert_lab
from minbert_lab.config import HEAD_ALIASES, LOSS_ALIASES, RunConfig
from minbert_lab.data.splits import DATA_DIR, load_manifest
from minbert_lab.experiments.committed import (
    COMMITTED_PROFILES,
    RESULTS_DIR,
    as_committed,
    expand,
    slim,
)
from minbert_lab.files import atomic_write

RUNS_DIR = Path("runs")
RUN_KEY_LENGTH = 20

# A key is a hash of the config as results were first stored, so that renaming, regrouping or
# adding a field never orphans a stored result. ``key_form`` writes any config that way:
# - fields added since then are left out while they hold their default (a non-default value is
#   written and changes the key, as it should);
_ADDED_FIELDS = {"tasks_per_step": "one", "gradient_surgery": "none", "conflict_probes": 0,
                 "lr_schedule": "constant", "warmup_ratio": 0.0, "layer_lr_decay": 1.0,
                 "pair_projection": "random", "distill": "none", "private_top_layer": "none",
                 "train_outputs": False}
_ADDED_TASK_FIELDS = {"sampler": "uniform", "label_smoothing": 0.0}
# - fields since removed are written with the one value they ever had;
_REMOVED_FIELDS = {"pad_to": None}
# - heads and losses under their first (short) names; ``ordering`` as flat ``ordering_*`` fields.
_FIRST_HEAD_NAMES = {name: short for short, name in HEAD_ALIASES.items()}
_FIRST_LOSS_NAMES = {name: short for short, name in LOSS_ALIASES.items()}


def key_form(config: RunConfig) -> dict:
    """The resolved config as the cache key hashes it (see the notes above)."""
    d = config.resolved().to_dict()
    ordering = d.pop("ordering")
    d["ordering"] = ordering.pop("name")
    d.update({f"ordering_{k}": v for k, v in ordering.items()})
    for name, default in _ADDED_FIELDS.items():
        if d[name] == default:
            del d[name]
    d.update(_REMOVED_FIELDS)
    for task in d["tasks"].values():
        task["head"] = _FIRST_HEAD_NAMES.get(task["head"], task["head"])
        task["loss"] = _FIRST_LOSS_NAMES.get(task["loss"], task["loss"])
        for name, default in _ADDED_TASK_FIELDS.items():
            if task[name] == default:
                del task[name]
    return d


def stored_key(fields: dict, data_dir: Path | str = DATA_DIR,
               length: int = RUN_KEY_LENGTH) -> str:
    """The hash every stored result is filed under: ``fields`` (what decides the result), the
    prepared data's split checksums and the library version."""
    manifest = load_manifest(data_dir)
    data = {k: v["sha256"] for k, v in sorted(manifest["splits"].items())}
    blob = json.dumps({**fields, "data": data, "version": minbert_lab.__version__},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:length]


def cache_key(config: RunConfig, data_dir: Path | str = DATA_DIR) -> str:
    """A run's key: :func:`stored_key` of its :func:`key_form`."""
    return stored_key({"config": key_form(config)}, data_dir)


def load_result(path: Path) -> dict | None:
    """The stored result, or ``None`` (with a warning) when it is missing or damaged."""
    if not path.is_file():
        return None
    try:
        stored = json.loads(path.read_text())
        body = stored["result"]
        if _checksum(body) != stored["sha256"]:
            raise ValueError("checksum mismatch")
        return body
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        warnings.warn(f"cached result {path} is damaged ({err}); recomputing it", stacklevel=2)
        return None


def resume_path(result: Path) -> Path:
    """Where the resume state of the run stored at ``result`` is kept while it trains."""
    return result.with_suffix(".resume")


def save_result(path: Path, result: dict) -> None:
    atomic_write(path, json.dumps({"sha256": _checksum(result), "result": result}))


@dataclass(frozen=True)
class RunStore:
    """The run cache and the committed results of one prepared data folder."""

    data_dir: Path | str = DATA_DIR
    runs_dir: Path | str = RUNS_DIR
    results_dir: Path | str = RESULTS_DIR

    def key(self, config: RunConfig) -> str:
        return cache_key(config, self.data_dir)

    def path(self, config: RunConfig) -> Path:
        """The run cache's file: ``<runs_dir>/<profile>/<key>.json``."""
        return Path(self.runs_dir) / config.resolved().profile / f"{self.key(config)}.json"

    def committed_path(self, config: RunConfig) -> Path | None:
        """The committed copy's file, ``None`` for a profile that is not committed."""
        profile = config.resolved().profile
        if profile not in COMMITTED_PROFILES:
            return None
        return Path(self.results_dir) / profile / f"{self.key(config)}.json"

    def resume_path(self, config: RunConfig) -> Path:
        """Where the run's resume state is kept while it trains."""
        return resume_path(self.path(config))

    def find(self, config: RunConfig) -> tuple[dict, str] | None:
        """The committed result, else the cached one (committing it if its profile is
        committed), with where it was found, in words; ``None`` when neither is whole."""
        path, committed = self.path(config), self.committed_path(config)
        if committed is not None and (stored := load_result(committed)) is not None:
            where = f"the committed results ({committed.parent.name}/{committed.name})"
            return expand(stored), where
        stored = load_result(path)
        if stored is None:
            return None
        resume_path(path).unlink(missing_ok=True)  # left by a kill between store and delete
        if committed is not None:
            save_result(committed, slim(stored))
            stored = as_committed(stored)
        return stored, "the run cache"

    def load(self, config: RunConfig) -> dict | None:
        """The stored result with ``cached: True``, or ``None``; trains nothing."""
        found = self.find(config)
        return None if found is None else {**found[0], "cached": True}

    def has(self, config: RunConfig) -> bool:
        """Whether a result file exists for ``config`` (committed or cached; not checked for
        damage, so it is cheap: a damaged one is found and recomputed when it is loaded)."""
        committed = self.committed_path(config)
        return self.path(config).is_file() or (committed is not None and committed.is_file())

    def results(self, profile: str) -> dict[str, dict]:
        """Every whole stored result of ``profile`` by its file name (the key, or a zero-shot
        name): the committed ones, then the run cache's others."""
        found: dict[str, dict] = {}
        for folder in (Path(self.results_dir) / profile, Path(self.runs_dir) / profile):
            for path in sorted(folder.glob("*.json")):
                if path.stem not in found and (result := load_result(path)) is not None:
                    found[path.stem] = result
        return found

    def missing(self, configs: Mapping[str, RunConfig]) -> dict[str, RunConfig]:
        """The configs with no whole stored result, each run once (the first label keeps it)."""
        todo: dict[str, RunConfig] = {}
        seen: set[str] = set()
        for label, config in configs.items():
            key = self.key(config)
            if key in seen:
                continue
            seen.add(key)
            places = [self.path(config), self.committed_path(config)]
            # A damaged file counts as missing (``load_result`` warns): it is recomputed.
            if all(load_result(p) is None for p in places if p is not None):
                todo[label] = config
        return todo

    def save(self, config: RunConfig, result: dict) -> dict:
        """Stores a finished run (the cache; the committed copy too for a committed profile),
        deletes its resume state, and returns the result as every reader will see it."""
        path, committed = self.path(config), self.committed_path(config)
        save_result(path, result)
        resume_path(path).unlink(missing_ok=True)
        if committed is None:
            return result
        save_result(committed, slim(result))
        return as_committed(result)

    def remove_leftovers(self, config: RunConfig) -> None:
        """Deletes the temporary files a killed writer of this entry left behind (only the
        lock holder writes an entry, so any temporary file of it is a leftover)."""
        path = self.path(config)
        for leftover in path.parent.glob(f".{path.stem}.*.tmp"):
            leftover.unlink(missing_ok=True)

    @contextlib.contextmanager
    def lock(self, config: RunConfig) -> Iterator[bool]:
        """Holds ``<key>.lock`` while a result is trained; yields whether another holder was
        waited for. The operating system releases the lock when its process dies, even by
        SIGKILL, so a killed run never blocks the next one. The file is removed on release,
        so a lock taken on a file that was removed meanwhile is dropped and taken again on
        the file now there: two holders never train the same run at once."""
        path = self.path(config)
        path.parent.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            yield False
            return
        lock_path, waited = path.with_suffix(".lock"), False
        while True:
            lock = open(lock_path, "a")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                warnings.warn(f"another process is training {path.name}; waiting for its result",
                              stacklevel=3)
                fcntl.flock(lock, fcntl.LOCK_EX)
                waited = True
            if _same_file(lock, lock_path):
                break
            lock.close()  # its holder removed it on release: lock the one there now
        try:
            yield waited
        finally:
            lock_path.unlink(missing_ok=True)  # while holding it: see above
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()

    def named_path(self, profile: str, name: str) -> Path:
        """A stored entry that is not a run (the zero-shot references): committed for a
        committed profile, else in the run cache."""
        base = self.results_dir if profile in COMMITTED_PROFILES else self.runs_dir
        return Path(base) / profile / f"{name}.json"


def _same_file(handle, path: Path) -> bool:
    """Whether the open file ``handle`` is still the file at ``path``."""
    try:
        return os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _checksum(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
