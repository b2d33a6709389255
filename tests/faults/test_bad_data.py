"""Bad data: every malformed row is skipped and counted by reason, never repaired or relabelled.

Each test writes a malformed file itself, byte by byte, and checks both the counts and that the
rows kept are exactly the good ones with exactly their labels.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from minbert_lab.data.collate import collate, count_truncated
from minbert_lab.data.prepare import (
    MAX_SENTENCE_CHARS,
    QUORA,
    SST,
    STS,
    DataFormatError,
    parse_file,
    prepare,
)
from minbert_lab.data.splits import load_manifest, load_split
from minbert_lab.data.tokenized import MODEL_MAX_TOKENS, Ragged, tokenize

SST_HEADER = b"\tid\tsentence\tsentiment"
PAIR_HEADER = {QUORA: b"\tid\tsentence1\tsentence2\tis_duplicate",
               STS: b"\tid\tsentence1\tsentence2\tsimilarity"}

# (fields after the index column, why it must be skipped or None if it must be kept)
SST_ROWS = [
    ((b"a", b"A fine film .", b"4"), None),
    ((b"b", b"Dull .", b"0"), None),
    ((b"c", b"", b"2"), "missing sentence"),
    ((b"d", b"   ", b"2"), "missing sentence"),
    ((b"", b"No id .", b"1"), "missing id"),
    ((b"e", b"No label .", b""), "missing label"),
    ((b"f", b"Only a sentence ."), "missing label"),  # too few fields
    ((b"g",), "missing sentence"),
    ((b"h", b"Five is beyond very positive .", b"5"), "label out of range"),
    ((b"i", b"Negative .", b"-1"), "label out of range"),
    ((b"j", b"Half a class .", b"2.5"), "label out of range"),
    ((b"k", b"Infinite .", b"inf"), "label out of range"),
    ((b"l", b"Not a number .", b"nan"), "missing label"),
    ((b"m", b"Words .", b"three"), "unparseable label"),
    ((b"n", b"x" * (MAX_SENTENCE_CHARS + 1), b"3"),
     f"sentence over {MAX_SENTENCE_CHARS} characters"),
    ((b"o", b"Long but a sentence . " * 400, b"3"), None),  # 8,800 characters: truncated later
    ((b"p", b"Broken \xff\xfe bytes .", b"1"), "non-UTF-8 bytes"),
    ((b"q\xff", b"Broken id .", b"1"), "non-UTF-8 bytes"),
    ((b"r", b"Broken label .", b"2\xff"), "non-UTF-8 bytes"),
    ((b"s", b"A tab\tinside .", b"2"), "unparseable line"),
    ((b"t", b'"Quoted ""well"" ."', b"3"), None),
    ((b"u", b"Whole class as a float .", b"1.0"), None),
    ((b"a", b"Same id as the first row .", b"1"), "duplicate id"),
]


def _write(path: Path, header: bytes, rows: list[tuple[bytes, ...]]) -> Path:
    lines = [b"%d\t" % i + b"\t".join(fields) for i, fields in enumerate(rows)]
    path.write_bytes(header + b"\n" + b"\n".join(lines) + b"\n")
    return path


def _expected_counts(rows: list) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, reason in rows:
        if reason:
            counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items()))


def test_every_bad_sst_row_is_skipped_and_counted(tmp_path: Path) -> None:
    path = _write(tmp_path / "ids-sst-train.csv", SST_HEADER, [r for r, _ in SST_ROWS])
    frame, report = parse_file(path, SST)
    assert report["skipped"] == _expected_counts(SST_ROWS)
    assert report["rows_read"] == len(SST_ROWS)
    assert report["rows_kept"] + report["rows_skipped"] == report["rows_read"]
    kept = [(row[0].decode(), row[2].decode()) for row, reason in SST_ROWS if reason is None]
    assert list(zip(frame["id"], frame["label"], strict=True)) == [
        (i, int(float(label))) for i, label in kept]  # the labels as written, none changed
    assert frame.loc[frame["id"] == "t", "sentence1"].item() == 'Quoted "well" .'


@pytest.mark.parametrize(("spec", "label", "kept"), [
    (QUORA, b"1", 1), (QUORA, b"0.0", 0), (QUORA, b"2", None), (QUORA, b"0.5", None),
    (QUORA, b"-0", 0), (STS, b"5.0", 5.0), (STS, b"3.8", 3.8), (STS, b"5.5", None),
    (STS, b"-0.1", None), (STS, b"-inf", None), (STS, b"1e1", None), (STS, b"", None),
])
def test_pair_labels_are_kept_exactly_or_skipped(spec, label: bytes, kept, tmp_path: Path) -> None:
    rows = [(b"a", b"First sentence .", b"Second sentence .", label)]
    frame, report = parse_file(_write(tmp_path / "pairs.csv", PAIR_HEADER[spec], rows), spec)
    if kept is None:
        assert frame.empty and report["rows_skipped"] == 1
    else:
        assert frame["label"].tolist() == [kept] and report["skipped"] == {}


def test_a_pair_with_an_empty_second_sentence_is_skipped(tmp_path: Path) -> None:
    rows = [(b"a", b"Both here .", b"Yes .", b"1"), (b"b", b"Only one .", b"", b"0"),
            (b"c", b"Only one .", b"0")]  # a field short: the label slides into sentence2
    frame, report = parse_file(_write(tmp_path / "q.csv", PAIR_HEADER[QUORA], rows), QUORA)
    assert frame["id"].tolist() == ["a"]
    assert report["skipped"] == {"missing label": 1, "missing sentence": 1}


@pytest.mark.parametrize(("rows", "kept", "lost"), [
    ([b'a\tGood .\t3', b'b\t"Never closed .\t2', b'c\tThird .\t1', b'd\tFourth .\t4'],
     ["a"], 3),  # the quote swallows every line after it
    ([b'a\tGood .\t3', b'b\t"Closed later .\t2', b'c\tThird" .\t1', b'd\tFourth .\t4'],
     ["a", "d"], 2),  # two lines merged into one row
    ([b'a\tGood .\t3', b'b\t"Never closed, last line .\t2'], ["a"], 1),  # dropped at the end
])
def test_lines_swallowed_by_an_unbalanced_quote_are_counted(rows: list[bytes], kept: list[str],
                                                            lost: int, tmp_path: Path) -> None:
    path = tmp_path / "sst.csv"
    path.write_bytes(SST_HEADER + b"\n" + b"".join(b"%d\t" % i + r + b"\n"
                                                   for i, r in enumerate(rows)))
    frame, report = parse_file(path, SST)
    assert frame["id"].tolist() == kept
    assert report["skipped"] == {"unbalanced quote": lost}
    assert report["rows_read"] == len(rows)


@pytest.mark.parametrize(("spec", "header"), [
    (SST, b"\tid\ttext\tlabel"), (QUORA, b"\tid\tsentence1\tsentence2\tlabel"),
    (STS, b"id,sentence1,sentence2,similarity"),  # commas: one column named all of that
])
def test_wrong_columns_name_the_expected_ones(spec, header: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(header + b"\n0\ta\tx\ty\t1\n")
    with pytest.raises(DataFormatError, match=r"needs the columns \[" + ", ".join(
            f"'{c}'" for c in spec.columns) + r"\]"):
        parse_file(path, spec)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"   \n"])
def test_an_empty_file_is_a_format_error(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "ids-sst-dev.csv"
    path.write_bytes(content)
    with pytest.raises(DataFormatError, match=r"is empty; a sst file needs the columns"):
        parse_file(path, SST)


def _source_with_quora_train(mirror: Path, tmp_path: Path, rows: list) -> Path:
    source = tmp_path / "source"
    shutil.copytree(mirror, source)
    _write(source / "quora-train.csv", PAIR_HEADER[QUORA], rows)
    return source


def test_the_manifest_shows_the_counts(mirror: Path, tmp_path: Path) -> None:
    rows = [((b"g%d" % i, b"Good question %d ?" % i, b"Fine %d ?" % i, b"1"), None)
            for i in range(5)]
    rows += [((b"x1", b"Missing label ?", b"Yes ?", b""), "missing label"),
             ((b"x2", b"Label two ?", b"No ?", b"2"), "label out of range"),
             ((b"x3", b"Bad \xff byte ?", b"No ?", b"0"), "non-UTF-8 bytes"),
             ((b"x4", b"", b"Empty first ?", b"0"), "missing sentence")]
    source = _source_with_quora_train(mirror, tmp_path, [r for r, _ in rows])
    manifest = prepare(str(source), tmp_path / "data")
    info = manifest["files"]["quora-train.csv"]
    assert info["skipped"] == _expected_counts(rows)
    assert (info["rows_read"], info["rows_kept"]) == (9, 5)
    assert manifest["splits"]["para-train"]["rows"] == 5
    assert load_manifest(tmp_path / "data") == manifest


def test_a_split_with_no_good_rows_stops_before_training(mirror: Path, tmp_path: Path) -> None:
    source = _source_with_quora_train(mirror, tmp_path, [(b"x", b"Only bad ?", b"No ?", b"7")])
    prepare(str(source), tmp_path / "data")
    with pytest.raises(ValueError, match=r"'para-train'.*no rows.*skipped"):
        load_split("para", "train", data_dir=tmp_path / "data")


def test_overlong_sentences_are_cut_to_the_model_and_counted(data_dir: Path) -> None:
    long = tokenize(["Long but a sentence . " * 400], "minilm-l6")
    assert len(long[0]) == MODEL_MAX_TOKENS  # the tokenizer cuts at the model's 512 positions
    data = load_split("sts", "dev", limit=8, data_dir=data_dir)
    ids = [data.a[i] for i in range(len(data))]
    ids[0] = long[0]
    data.a = Ragged.from_lists([t.tolist() for t in ids])
    assert count_truncated(data, "siamese", 64) >= 1
    assert count_truncated(data, "single", MODEL_MAX_TOKENS) == 0
    batch = collate(data, list(range(len(data))), "cross", max_length=64)
    assert batch.inputs.input_ids.shape[1] == 64
    row = batch.inputs.input_ids[0]
    assert row[0].item() == long[0][0].item() and row[-1].item() == long[0][-1].item()  # CLS, SEP
    lengths = batch.inputs.attention_mask.sum(1)
    assert torch.equal(lengths <= 64, torch.ones_like(lengths, dtype=torch.bool))


@pytest.mark.parametrize(("old", "new"), [(",2\n", ",9\n"), (",2\n", ",3\n")])
def test_a_prepared_file_edited_after_prepare_is_refused_with_the_command_that_rebuilds_it(
        old: str, new: str, data_dir: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    from minbert_lab.cli import main

    monkeypatch.delenv("MAKELEVEL", raising=False)  # typed at a prompt, not run by make

    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns("cache"))
    train = copy / load_manifest(copy)["splits"]["sst-train"]["file"]
    text = train.read_text()
    assert old in text
    train.write_text(text.replace(old, new, 1))  # a label out of range, or quietly another one
    status = main(["--data-dir", str(copy), "run", "--profile", "smoke", "--runs-dir",
                   str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"python -m minbert_lab: error: {train} was changed since `data prepare` wrote it (its "
        f"sha256 is in {copy / 'manifest.json'}); rebuild the prepared data: python -m "
        f"minbert_lab data prepare --source {load_manifest(copy)['source']} --quora-split carved")


def test_under_make_a_hint_names_the_make_variable(monkeypatch) -> None:
    from minbert_lab.hints import data_source_hint

    monkeypatch.setenv("MAKELEVEL", "1")
    assert data_source_hint() == "make data DATA_SOURCE=FOLDER"
    monkeypatch.delenv("MAKELEVEL")
    assert data_source_hint() == "python -m minbert_lab data prepare --source FOLDER"
