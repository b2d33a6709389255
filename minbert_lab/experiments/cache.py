"""``run_or_load``: a run's result is stored once, under a hash of everything that decides it.

The key covers the resolved config, the prepared data (the manifest's split checksums) and the
library version. Each result file carries a sha256 of its own body: a truncated or edited file
is detected, reported with a warning and recomputed, never trusted. Files are written to a
temporary name and renamed, so a reader never sees half a file and two writers of the same
entry cannot interleave.

Next to a result ``<key>.json`` live, while it is being trained, its resume state
``<key>.resume`` (a killed or interrupted run continues from it; it is deleted once the result is
stored) and a lock file ``<key>.lock``: a second process asking for a config that another is
training waits for that result instead of training it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; atomic renames still keep every file whole
    fcntl = None

import minbert_lab
from minbert_lab.config import HEAD_ALIASES, LOSS_ALIASES, RunConfig
from minbert_lab.data.splits import DATA_DIR, load_manifest
from minbert_lab.durations import duration
from minbert_lab.experiments.committed import (
    COMMITTED_PROFILES,
    RESULTS_DIR,
    as_committed,
    expand,
    slim,
)
from minbert_lab.files import atomic_write
from minbert_lab.training.distributed import (
    World,
    barrier,
    broadcast,
    current_world,
    device_for,
    start,
)

RUNS_DIR = Path("runs")
# Keys of the runs a labelled call already announced in this process: a notebook loads the runs
# of a table it just trained again to read them, and one line per run is enough.
_ANNOUNCED: set[str] = set()

# A key is a hash of the config as results were first stored, so that renaming, regrouping or
# adding a field never orphans a stored result. ``key_form`` writes any config that way:
# - fields added since then are left out while they hold their default (a non-default value is
#   written and changes the key, as it should);
_ADDED_FIELDS = {"tasks_per_step": "one", "gradient_surgery": "none", "conflict_probes": 0,
                 "lr_schedule": "constant", "warmup_ratio": 0.0, "layer_lr_decay": 1.0,
                 "pair_projection": "random"}
_ADDED_TASK_FIELDS = {"sampler": "uniform"}
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


def cache_key(config: RunConfig, data_dir: Path | str = DATA_DIR) -> str:
    """The hash of everything that decides a result: config, data checksums, library version."""
    manifest = load_manifest(data_dir)
    data = {k: v["sha256"] for k, v in sorted(manifest["splits"].items())}
    blob = json.dumps(
        {"config": key_form(config), "data": data, "version": minbert_lab.__version__},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def result_path(config: RunConfig, *, data_dir: Path | str = DATA_DIR,
                runs_dir: Path | str = RUNS_DIR) -> Path:
    """Where ``config``'s result is stored: ``<runs_dir>/<profile>/<key>.json``. The committed
    copy has the same name under ``results_dir`` (``experiments.committed``)."""
    return Path(runs_dir) / config.resolved().profile / f"{cache_key(config, data_dir)}.json"


def resume_path(result: Path) -> Path:
    """Where the resume state of the result file ``result`` is kept while it trains."""
    return result.with_suffix(".resume")


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


def save_result(path: Path, result: dict) -> None:
    atomic_write(path, json.dumps({"sha256": _checksum(result), "result": result}))


def run_or_load(config: RunConfig, *, data_dir: Path | str = DATA_DIR,
                runs_dir: Path | str = RUNS_DIR, results_dir: Path | str = RESULTS_DIR,
                retrain: bool = False, progress: bool = True, device: str | None = None,
                resume_every: int | None = None, label: str | None = None,
                save_model: Path | str | None = None) -> dict:
    """Returns the stored result of ``config``, training it first if there is none.

    Looks in the committed results (``results_dir``, see ``experiments.committed``), then in
    the run cache (``runs_dir``). Training keeps a resume state beside the result, so a run
    that was killed or interrupted continues where it was saved and ends with the same result
    as an uninterrupted one. A run of a committed profile (``all-data``, ``full``) is also
    written, slim, to ``results_dir``, and is returned in that slim form however it was found.

    Args:
        retrain: train again even if a result is stored (and replace it).
        resume_every: steps between saves of the resume state; ``None``: every few minutes.
            It does not change the result, so it is not part of the cache key.
        label: names the run in a line on stderr when it starts and when it ends.
        save_model: also keep the trained model in this folder (``training.saved_model``).
            A stored result holds no weights, so unless the folder already holds this run's
            model, the run is trained again (CPU: to the same result) and says so.

    Under ``torchrun`` every rank calls this; rank 0 alone reads and writes the stores and
    tells the others whether to train (``training.distributed``).

    Returns:
        The result; it has ``cached: True`` when it came from disk.
    """
    world = current_world()
    start(world, device_for(world, device))
    path = result_path(config, data_dir=data_dir, runs_dir=runs_dir)
    committed = Path(results_dir) / path.parent.name / path.name
    say = _announcer(label if world.main else None, path.stem)
    if save_model is not None and not _holds_model(save_model, path.stem):
        if not retrain and (path.is_file() or committed.is_file()):
            say(f"the stored result has no weights; training again to save the model to "
                f"{save_model}")
        retrain = True

    def stored_result() -> tuple[dict, str] | None:
        found = None if retrain or not world.main else _stored(config, path, committed)
        return broadcast(found, world)

    if (stored := stored_result()) is not None:
        if path.stem not in _ANNOUNCED:
            say(f"loaded from {stored[1]}")
        return {**stored[0], "cached": True}
    lock = _training_lock(path) if world.main else contextlib.nullcontext(False)
    with lock as waited:
        if (waited or world.distributed) and (stored := stored_result()) is not None:
            say("loaded from the run cache (another process trained it)")
            return {**stored[0], "cached": True}
        result = _train_announced(config, path, world, say, data_dir=data_dir,
                                  progress=progress, device=device, resume_every=resume_every,
                                  model_dir=save_model, model_key=path.stem)
        if config.profile in COMMITTED_PROFILES and world.main:
            save_result(committed, slim(result))
            result = as_committed(result)
    return {**result, "cached": False}


def _train_announced(config: RunConfig, path: Path, world: World, say, **kwargs) -> dict:
    """``_train``, with a line on stderr when it starts and when it ends."""
    resolved = config.resolved()
    say(f"training ({resolved.profile} profile, {resolved.epochs} epoch"
        f"{'s' if resolved.epochs > 1 else ''})...")
    started = time.perf_counter()
    result = _train(config, path, world, **kwargs)
    saved = _holds_model(kwargs["model_dir"], path.stem)
    say(f"trained in {duration(time.perf_counter() - started)}, dev score "
        f"{result['metrics']['score']:.3f}"
        + (f"; model saved to {kwargs['model_dir']}" if saved else ""))
    return result


def _announcer(label: str | None, key: str):
    """A function that writes ``<label>: <text>`` to stderr (nothing without a label) and
    remembers that run ``key`` was announced."""
    def say(text: str) -> None:
        if label is not None:
            print(f"{label}: {text}", file=sys.stderr, flush=True)
            _ANNOUNCED.add(key)
    return say



def _holds_model(folder: Path | str | None, key: str) -> bool:
    """Whether ``folder`` holds the saved model of the run whose cache key is ``key``."""
    if folder is None:
        return False
    from minbert_lab.training.saved_model import saved_info

    info = saved_info(folder)
    return info is not None and info.get("key") == key


def _stored(config: RunConfig, path: Path, committed: Path) -> tuple[dict, str] | None:
    """The committed result, else the cached one (committing it if its profile is committed),
    with where it was found, in words."""
    if config.profile in COMMITTED_PROFILES and (stored := load_result(committed)) is not None:
        return expand(stored), f"the committed results ({committed.parent.name}/{committed.name})"
    stored = load_result(path)
    if stored is None:
        return None
    resume_path(path).unlink(missing_ok=True)  # left by a kill between storing and deleting
    if config.profile in COMMITTED_PROFILES:
        save_result(committed, slim(stored))
        stored = as_committed(stored)
    return stored, "the run cache"


def _train(config: RunConfig, path: Path, world: World, **kwargs) -> dict:
    """Trains ``config`` with a resume state beside ``path`` and stores the result there
    (rank 0; the other ranks of a distributed run only train)."""
    from minbert_lab.training.loop import train  # heavy imports only when training

    # Only the lock holder writes this entry, so a temporary file of it is a killed writer's
    # leftover (a resume state's is hundreds of MB).
    if world.main:
        for leftover in path.parent.glob(f".{path.stem}.*.tmp"):
            leftover.unlink(missing_ok=True)
    resume = resume_path(path)
    result = train(config, resume_path=resume, **kwargs)
    barrier(world)  # every rank has read the resume state before rank 0 deletes it
    if world.main:
        save_result(path, result)
        resume.unlink(missing_ok=True)
    return result


@contextlib.contextmanager
def _training_lock(path: Path) -> Iterator[bool]:
    """Holds ``<key>.lock`` while a result is trained; yields whether another holder was
    waited for. The operating system releases the lock when its process dies, even by
    SIGKILL, so a killed run never blocks the next one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        yield False
        return
    with open(path.with_suffix(".lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            waited = False
        except BlockingIOError:
            warnings.warn(f"another process is training {path.name}; waiting for its result",
                          stacklevel=3)
            fcntl.flock(lock, fcntl.LOCK_EX)
            waited = True
        try:
            yield waited
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _checksum(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
