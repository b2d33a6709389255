"""``run_or_load``: a run's result is stored once, under a hash of everything that decides it.

The key covers the resolved config, the prepared data (the manifest's split checksums) and the
library version. Each result file carries a sha256 of its own body: a truncated or edited file
is detected, reported with a warning and recomputed, never trusted. Files are written to a
temporary name and renamed, so a reader never sees half a file and two writers of the same
entry cannot interleave.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path

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
                device: str | None = None) -> dict:
    """Returns the stored result of ``config``, training it first if there is none.

    The returned dict has ``cached: True`` when it came from disk.
    """
    from minbert_lab.training.loop import train  # heavy imports only when training

    path = result_path(config, data_dir=data_dir, runs_dir=runs_dir)
    stored = load_result(path)
    if stored is not None:
        return {**stored, "cached": True}
    result = train(config, data_dir=data_dir, progress=progress, device=device)
    save_result(path, result)
    return {**result, "cached": False}


def _checksum(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
