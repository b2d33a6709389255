"""Fetch the CS224N CSVs from a URL or a local mirror, verified, with nothing half-written.

The default source is the public starter repository ``gpoesia/minbert-default-final-project``,
folder ``data/``, at the commit whose checksums are pinned below.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

from minbert_lab.hints import data_source_hint

DEFAULT_SOURCE = (
    "https://raw.githubusercontent.com/gpoesia/minbert-default-final-project/"
    "7ac8260577fc12a86c7aaf38918056c30054ef39/data"
)

# sha256 of the files at that commit (the offline mirror's SHA256SUMS agrees).
KNOWN_SHA256 = {
    "ids-sst-train.csv": "03b2b625c090f94a6afd59f114cde5282e2053aab0b101e87ed695d8a0c5b1df",
    "ids-sst-dev.csv": "a186ce94577635fbe10beaaddd50f16cccf6c30973221cefdf90deed2a584bfe",
    "quora-dev.csv": "bfa3cc954a9ba300ae776a980141de65f622a3c1b97e3fd905d63245bc36d5ad",
    "sts-train.csv": "15d12efc2d656fffb1d61ac1f08ec4227f43925fd16f420c037cbd063699c21b",
    "sts-dev.csv": "ce3cad6f16062586ac7ba462c28b010a9be10c530fd5074165860d7b7ab4e93d",
}
REQUIRED_FILES = tuple(KNOWN_SHA256)
OPTIONAL_FILES = ("quora-train.csv",)  # 141,506 pairs upstream; absent from the offline mirror


class DataSourceError(RuntimeError):
    """A file could not be fetched, or it is not the file we expect."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def fetch(source: str, name: str, dest: Path, *, required: bool = True) -> Path | None:
    """Copies or downloads ``name`` from ``source`` to ``dest`` and verifies its checksum.

    Returns ``dest``, or ``None`` when an optional file does not exist at the source. The file
    appears at ``dest`` only once complete and verified (temporary file, then rename).

    Raises:
        DataSourceError: a required file is missing, the download is truncated or fails, or the
            checksum differs from the pinned one.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        found = _download(source, name, tmp) if is_url(source) else _copy(source, name, tmp)
        if not found:
            if required:
                raise DataSourceError(
                    f"{name} is not in the data source {source!r}; point it at a folder or URL "
                    f"holding the CS224N data/ files: {data_source_hint()}"
                )
            return None
        expected = KNOWN_SHA256.get(name)
        actual = sha256_of(tmp)
        if expected and actual != expected:
            raise DataSourceError(
                f"{name} from {source!r} has sha256 {actual[:12]}…, expected {expected[:12]}… "
                "(truncated or altered). Delete it at the source or fetch it again; a mirror "
                "must hold the files of the pinned commit unchanged."
            )
        os.replace(tmp, dest)
        return dest
    finally:
        tmp.unlink(missing_ok=True)


def _copy(folder: str, name: str, tmp: Path) -> bool:
    src = Path(folder).expanduser() / name
    if not Path(folder).expanduser().is_dir():
        raise DataSourceError(f"data source folder {folder!r} does not exist")
    if not src.is_file():
        return False
    shutil.copyfile(src, tmp)
    return True


def _download(base_url: str, name: str, tmp: Path) -> bool:
    url = f"{base_url.rstrip('/')}/{name}"
    try:
        response = urllib.request.urlopen(url, timeout=60)
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return False
        raise DataSourceError(f"downloading {url} failed: HTTP {err.code} {err.reason}") from err
    except (urllib.error.URLError, OSError) as err:
        raise DataSourceError(
            f"cannot reach {url}: {err}. Offline? Use a local copy of the CS224N data/ folder: "
            f"{data_source_hint()}"
        ) from err
    with response:
        total = int(response.headers.get("Content-Length") or 0) or None
        received = 0
        with (
            open(tmp, "wb") as out,
            tqdm(total=total, unit="B", unit_scale=True, desc=name, leave=False) as bar,
        ):
            try:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            except (http.client.IncompleteRead, OSError) as err:
                raise DataSourceError(f"{url} was cut off after {received} bytes; retry") from err
    if total is not None and received != total:
        raise DataSourceError(f"{url} was cut off: {received} of {total} bytes arrived; retry")
    return True
