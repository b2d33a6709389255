from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from minbert_lab.data.prepare import QUORA, SST, STS, DataFormatError, parse_file, prepare
from minbert_lab.data.sources import DataSourceError
from minbert_lab.data.splits import load_manifest, split_note


def test_real_manifest_counts_and_quora_carve(data_dir: Path) -> None:
    manifest = load_manifest(data_dir)
    quora = manifest["files"]["quora-dev.csv"]
    assert quora["rows_read"] == 20_214
    assert quora["rows_skipped"] == 2  # the two rows without a label or sentence
    assert manifest["quora_split"] == "carved-from-dev"
    assert manifest["splits"]["para-train"]["rows"] == 16_109
    assert manifest["splits"]["para-dev"]["rows"] == 4_103
    assert manifest["splits"]["sst-train"]["rows"] == 8_544
    assert manifest["splits"]["sts-dev"]["rows"] == 863
    assert "carved from quora-dev.csv" in split_note(manifest)
    for info in manifest["files"].values():
        assert len(info["sha256"]) == 64


def test_a_relative_source_folder_is_recorded_absolute(mirror: Path, tmp_path: Path,
                                                       monkeypatch) -> None:
    # `make data DATA_SOURCE=../shared/data/cs224n`: predict() reads the test files from the
    # recorded source later, from a notebook's working directory too.
    folder = mirror.resolve()
    monkeypatch.chdir(folder.parent)
    manifest = prepare(folder.name, tmp_path / "data")
    assert manifest["source"] == str(folder)
    assert load_manifest(tmp_path / "data")["source"] == str(folder)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_rows_are_skipped_and_counted_by_reason(tmp_path: Path) -> None:
    rows = [
        "\tid\tsentence1\tsentence2\tsimilarity",
        "0\ta\tA cat sits.\tA cat is sitting.\t4.5",
        "1\tb\tNo label here.\tNone at all.\t",
        "2\tc\t\tSecond only.\t3.0",
        "3\td\tToo similar.\tVery.\t7.0",
        "4\te\tWord.\tWords.\tnot-a-number",
        "5\tf\tTwo.\tTwo.\t0.0\textra\tcolumns",
        "6\ta\tDuplicate id.\tSame id as row 0.\t1.0",
    ]
    frame, report = parse_file(_write(tmp_path / "sts.csv", "\n".join(rows) + "\n"), STS)
    assert frame["id"].tolist() == ["a"]
    assert report["rows_read"] == 7
    assert report["skipped"] == {
        "missing label": 1, "missing sentence": 1, "label out of range": 1,
        "unparseable label": 1, "unparseable line": 1, "duplicate id": 1,
    }


def test_class_labels_must_be_whole_numbers_in_range(tmp_path: Path) -> None:
    rows = ["\tid\tsentence\tsentiment", "0\ta\tGood.\t4", "1\tb\tOdd.\t2.5", "2\tc\tBad.\t-1"]
    frame, report = parse_file(_write(tmp_path / "sst.csv", "\n".join(rows)), SST)
    assert frame["label"].tolist() == [4]
    assert report["skipped"] == {"label out of range": 2}


def test_non_utf8_rows_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "quora.csv"
    path.write_bytes(b"\tid\tsentence1\tsentence2\tis_duplicate\n0\ta\tFine?\tFine!\t1.0\n"
                     b"1\tb\tBroken \xff\xfe bytes\tok\t0.0\n")
    frame, report = parse_file(path, QUORA)
    assert frame["id"].tolist() == ["a"]
    assert report["skipped"] == {"non-UTF-8 bytes": 1}


def test_wrong_columns_name_the_expected_ones(tmp_path: Path) -> None:
    path = _write(tmp_path / "sst.csv", "\tid\ttext\tlabel\n0\ta\tGood.\t4\n")
    with pytest.raises(DataFormatError, match=r"\['id', 'sentence', 'sentiment'\]"):
        parse_file(path, SST)


def test_checksum_mismatch_is_a_clear_error_and_leaves_nothing(mirror: Path,
                                                               tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(mirror, source)
    (source / "sts-dev.csv").chmod(0o644)
    with open(source / "sts-dev.csv", "a") as f:
        f.write("999\tzzz\tAn added row.\tChanges the checksum.\t1.0\n")
    out = tmp_path / "data"
    with pytest.raises(DataSourceError, match="sts-dev.csv .* sha256"):
        prepare(str(source), out)
    assert not (out / "manifest.json").exists()
    assert not list(out.rglob("*.part")) and not (out / "raw" / "sts-dev.csv").exists()


def test_missing_required_file_says_how_to_fix(mirror: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAKELEVEL", raising=False)  # typed at a prompt, not run by make
    source = tmp_path / "source"
    shutil.copytree(mirror, source, ignore=shutil.ignore_patterns("ids-sst-dev.csv"))
    with pytest.raises(DataSourceError, match="ids-sst-dev.csv is not in the .*--source"):
        prepare(str(source), tmp_path / "data")


def test_official_quora_train_is_used_when_present(mirror: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(mirror, source)
    head = (mirror / "quora-dev.csv").read_text().splitlines()[:101]
    (source / "quora-train.csv").write_text("\n".join(head) + "\n")
    manifest = prepare(str(source), tmp_path / "data")
    assert manifest["quora_split"] == "official"
    assert manifest["splits"]["para-train"]["rows"] == 100
    assert manifest["splits"]["para-dev"]["rows"] == 20_212
    assert json.loads((tmp_path / "data" / "manifest.json").read_text()) == manifest


def test_the_carved_split_can_be_asked_for_and_matches_the_committed_one(
        mirror: Path, data_dir: Path, tmp_path: Path) -> None:
    from minbert_lab.run_notebooks import split_warning

    source = tmp_path / "source"
    shutil.copytree(mirror, source)
    head = (mirror / "quora-dev.csv").read_text().splitlines()[:101]
    (source / "quora-train.csv").write_text("\n".join(head) + "\n")
    official = prepare(str(source), tmp_path / "official")
    assert "QUORA_SPLIT=carved" in split_warning(tmp_path / "official")
    carved = prepare(str(source), tmp_path / "carved", quora_split="carved")
    assert official["quora_split"] == "official" and carved["quora_split"] == "carved-from-dev"
    # the same checksums as the mirror's data: the committed results' keys
    assert {k: v["sha256"] for k, v in carved["splits"].items()} == {
        k: v["sha256"] for k, v in load_manifest(data_dir)["splits"].items()}
    assert split_warning(tmp_path / "carved") is None
    with pytest.raises(ValueError, match="quora_split='official' is not valid"):
        prepare(str(source), tmp_path / "x", quora_split="official")
