"""``atomic_write`` (``files.py``): a reader sees the old file or the new one, never a mix."""

from __future__ import annotations

from pathlib import Path

import pytest

from minbert_lab.files import atomic_write


def test_text_bytes_and_chunks_are_written_whole(tmp_path: Path):
    atomic_write(tmp_path / "a.txt", "héllo")
    atomic_write(tmp_path / "b.bin", b"\x00\x01")
    atomic_write(tmp_path / "sub" / "c.bin", [b"ab", b"", b"cd"])  # its folder is made too
    assert (tmp_path / "a.txt").read_bytes() == "héllo".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "sub" / "c.bin").read_bytes() == b"abcd"
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_new_version_replaces_the_old_one_whole(tmp_path: Path):
    path = tmp_path / "result.json"
    atomic_write(path, "x" * 1000)
    atomic_write(path, "short")
    assert path.read_text() == "short"  # no tail of the longer file left
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_a_write_that_fails_half_way_keeps_the_old_file_and_no_temporary(tmp_path: Path):
    path = tmp_path / "result.json"
    atomic_write(path, "old")

    def chunks():
        yield b"new, half"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, chunks())
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]
