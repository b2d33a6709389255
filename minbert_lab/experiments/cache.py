"""``run_or_load``: a run's result is stored once, under a hash of everything that decides it.

The key covers the resolved config, the prepared data (the manifest's split checksums) and the
library version. Each result file carries a sha256 of its own body: a truncated or edited file
is detected, reported with a warning and recomputed, never trusted. Files are written to a
temporary name and renamed, so a reader never sees half a file and two writers of the same
entry cannot interleave.

Next to a result ``<key>.json`` live, while it is being trained, its training checkpoint
``<key>.ckpt`` (a killed or interrupted run continues from it; it is deleted once the result is
stored) and a lock file ``<key>.lock``: a second process asking for a config that another is
training waits for that result instead of training it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; atomic renames still keep every file whole
    fcntl = None

import minbert_lab
from minbert_lab.config import RunConfig
from minbert_lab.data.splits import DATA_DIR, load_manifest

RUNS_DIR = Path("runs")


def cache_key(config: RunConfig, data_dir: Path | str = DATA_DIR) -> str:
    manifest = load_manifest(data_dir)
    data = {k: v["sha256"] for k, v in sorted(manifest["splits"].items())}
    blob = json.dumps(
        {"config": config.resolved().to_dict(), "data": data, "version": minbert_lab.__version__},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def result_path(config: RunConfig, *, data_dir: Path | str = DATA_DIR,
                runs_dir: Path | str = RUNS_DIR) -> Path:
    return Path(runs_dir) / config.resolved().profile / f"{cache_key(config, data_dir)}.json"


def checkpoint_path(result: Path) -> Path:
    """Where the training checkpoint of the result file ``result`` is kept."""
    return result.with_suffix(".ckpt")


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
    text = json.dumps({"sha256": _checksum(result), "result": result})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def run_or_load(config: RunConfig, *, data_dir: Path | str = DATA_DIR,
                runs_dir: Path | str = RUNS_DIR, progress: bool = True,
                device: str | None = None, checkpoint_every: int | None = None) -> dict:
    """Returns the stored result of ``config``, training it first if there is none.

    Training keeps a checkpoint beside the result, so a run that was killed or interrupted
    continues where it was saved and ends with the same result as an uninterrupted one.

    Args:
        checkpoint_every: steps between training checkpoints; ``None``: every few minutes.
            It does not change the result, so it is not part of the cache key.

    Returns:
        The result; it has ``cached: True`` when it came from disk.
    """
    from minbert_lab.training.loop import train  # heavy imports only when training

    path = result_path(config, data_dir=data_dir, runs_dir=runs_dir)
    checkpoint = checkpoint_path(path)
    stored = load_result(path)
    if stored is not None:
        checkpoint.unlink(missing_ok=True)  # left by a kill between storing and deleting
        return {**stored, "cached": True}
    with _training_lock(path) as waited:
        if waited and (stored := load_result(path)) is not None:
            return {**stored, "cached": True}
        # Only the lock holder writes this entry, so a temporary file of it is a killed
        # writer's leftover (a checkpoint's is hundreds of MB).
        for leftover in path.parent.glob(f".{path.stem}.*.tmp"):
            leftover.unlink(missing_ok=True)
        result = train(config, data_dir=data_dir, progress=progress, device=device,
                       checkpoint_path=checkpoint, checkpoint_every=checkpoint_every)
        save_result(path, result)
        checkpoint.unlink(missing_ok=True)
    return {**result, "cached": False}


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
