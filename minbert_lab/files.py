"""Writing a file so that no reader ever sees half of it."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path


def atomic_write(path: Path | str, data: str | bytes | Sequence[bytes]) -> None:
    """Writes ``data`` (text as UTF-8, bytes, or a sequence of byte chunks written in order)
    to a temporary file beside ``path`` (``.<name>.*.tmp``), then renames it into place: a
    reader sees the old file or the new one, never a mix, and a writer killed half-way leaves
    only the temporary file behind. (Without fsync a power cut could still truncate it, so
    the files written this way carry a checksum.)"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    chunks = [data] if isinstance(data, (bytes, bytearray, memoryview)) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        # mkstemp makes the file 0600; give it the mode open() would (0666 less the umask)
        os.chmod(tmp, stat.S_IMODE(0o666 & ~UMASK))
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _umask() -> int:
    """The process's umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _umask()  # read once: reading it sets it for a moment, which no thread should see
