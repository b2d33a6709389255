"""Fetching the CS224N files (``data/sources.py``): the real download path, against an HTTP server
on 127.0.0.1 serving the mirror, and a copy from a local folder."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from minbert_lab.data.prepare import prepare
from minbert_lab.data.sources import KNOWN_SHA256, DataSourceError, fetch, sha256_of


class MirrorHandler(SimpleHTTPRequestHandler):
    """Serves a folder; ``/cut/NAME`` promises the whole file but sends half and hangs up."""

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/cut/"):
            body = (Path(self.directory) / self.path.removeprefix("/cut/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture()
def served(mirror: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    shutil.copytree(mirror, root)
    handler = functools.partial(MirrorHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_download_prepares_the_same_data_as_the_mirror(served, tmp_path: Path) -> None:
    url, _ = served
    manifest = prepare(url, tmp_path / "data")
    assert manifest["source"] == url
    assert manifest["quora_split"] == "carved-from-dev"  # quora-train.csv is a 404 there
    assert manifest["splits"]["para-dev"]["rows"] == 4_103


def test_truncated_file_fails_its_checksum(served, tmp_path: Path) -> None:
    url, root = served
    path = root / "sts-dev.csv"
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DataSourceError, match="sts-dev.csv .*sha256"):
        fetch(url, "sts-dev.csv", tmp_path / "out" / "sts-dev.csv")
    assert list((tmp_path / "out").iterdir()) == []


def test_connection_cut_mid_file_is_an_error(served, tmp_path: Path) -> None:
    url, _ = served
    with pytest.raises(DataSourceError, match="cut off"):
        fetch(f"{url}/cut", "sts-dev.csv", tmp_path / "out" / "sts-dev.csv")
    assert list((tmp_path / "out").iterdir()) == []


def test_404_of_a_required_file_is_a_clear_error(served, tmp_path: Path) -> None:
    url, root = served
    (root / "ids-sst-train.csv").unlink()
    with pytest.raises(DataSourceError, match="ids-sst-train.csv is not in the data source"):
        fetch(url, "ids-sst-train.csv", tmp_path / "x.csv")


def test_unreachable_host_suggests_a_local_source(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAKELEVEL", raising=False)
    with pytest.raises(DataSourceError, match="--source"):
        fetch("http://127.0.0.1:9", "sts-dev.csv", tmp_path / "x.csv")
    monkeypatch.setenv("MAKELEVEL", "1")  # under make: the make variable
    with pytest.raises(DataSourceError, match="make data DATA_SOURCE=FOLDER"):
        fetch("http://127.0.0.1:9", "sts-dev.csv", tmp_path / "x.csv")


def test_a_local_folder_is_copied_and_verified(mirror: Path, tmp_path: Path) -> None:
    dest = fetch(str(mirror), "sts-dev.csv", tmp_path / "raw" / "sts-dev.csv")
    assert dest == tmp_path / "raw" / "sts-dev.csv"
    assert sha256_of(dest) == KNOWN_SHA256["sts-dev.csv"]
    assert [p.name for p in dest.parent.iterdir()] == ["sts-dev.csv"]  # no temporary left


def test_an_optional_file_the_source_lacks_is_none_and_a_missing_folder_an_error(
        tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert fetch(str(empty), "quora-train.csv", tmp_path / "q.csv", required=False) is None
    assert not (tmp_path / "q.csv").exists()
    with pytest.raises(DataSourceError, match="does not exist"):
        fetch(str(tmp_path / "nowhere"), "sts-dev.csv", tmp_path / "x.csv")
