"""`predict`: CS224N's six files in the starter's exact format, test files checked against the
pinned commit, and (end to end, smoke profile) dev metrics recomputed from the files equal to the
run's stored ones."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from facts import says

import minbert_lab.predict as predict_module
from minbert_lab.cli import main
from minbert_lab.config import RunConfig, default_task
from minbert_lab.data.prepare import prepare
from minbert_lab.data.sources import DataSourceError
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.metrics import METRIC_OF
from minbert_lab.predict import (
    RECORD_FILE,
    TEST_BLOB_SHA1,
    fetch_test_file,
    git_blob_sha1,
    predict,
    predictions_record,
    read_predictions,
    write_predictions,
)
from minbert_lab.study.submission import dev_metric

SIX = {f"{task}-{split}-output.csv" for task in ("sst", "para", "sts") for split in ("dev", "test")}


def test_files_are_written_as_the_starter_writes_them(tmp_path):
    write_predictions(tmp_path / "sst.csv", "sst", ["a1", "b2"], [3.0, 0.0])
    write_predictions(tmp_path / "para.csv", "para", ["c3"], [1.0])
    write_predictions(tmp_path / "sts.csv", "sts", ["d4"], [np.float32(2.3456789)])
    # f.write(f"id \t Predicted_Sentiment \n"), then f.write(f"{p} , {s} \n") with numpy values
    assert (tmp_path / "sst.csv").read_text() == "id \t Predicted_Sentiment \na1 , 3 \nb2 , 0 \n"
    assert (tmp_path / "para.csv").read_text() == "id \t Predicted_Is_Paraphrase \nc3 , 1.0 \n"
    text = (tmp_path / "sts.csv").read_text()
    assert text == f"id \t Predicted_Similiary \nd4 , {np.float32(2.3456789)} \n"
    back = read_predictions(tmp_path / "sts.csv")
    assert back["id"].tolist() == ["d4"]
    assert np.float32(back["value"][0]) == np.float32(2.3456789)  # exact, as written


def test_test_files_are_fetched_and_checked_against_the_pinned_commit(mirror, tmp_path):
    path = fetch_test_file("sts-test-student.csv", str(mirror), tmp_path)
    assert path == tmp_path / "raw" / "sts-test-student.csv"
    assert git_blob_sha1(path) == TEST_BLOB_SHA1["sts-test-student.csv"]
    with pytest.raises(FileNotFoundError, match="has no quora-test-student.csv"):
        fetch_test_file("quora-test-student.csv", str(mirror), tmp_path)

    altered = tmp_path / "altered"
    altered.mkdir()
    text = (mirror / "ids-sst-test-student.csv").read_text()
    (altered / "ids-sst-test-student.csv").write_text(text.replace("biopic", "biography", 1))
    with pytest.raises(DataSourceError, match="not the file of the pinned"):
        fetch_test_file("ids-sst-test-student.csv", str(altered), tmp_path / "other")
    assert not (tmp_path / "other" / "raw" / "ids-sst-test-student.csv").exists()


@pytest.fixture
def small_test_source(mirror, tmp_path, monkeypatch) -> Path:
    """The mirror's test files cut to 40 rows (pinned as such), so a smoke test predicts fast."""
    folder = tmp_path / "source"
    folder.mkdir()
    for name in ("ids-sst-test-student.csv", "sts-test-student.csv"):
        lines = (mirror / name).read_text().splitlines(keepends=True)
        (folder / name).write_text("".join(lines[:41]))
        monkeypatch.setitem(predict_module.TEST_BLOB_SHA1, name, git_blob_sha1(folder / name))
    return folder


@pytest.mark.slow
def test_a_saved_smoke_run_predicts_its_own_dev_metrics(mirror, small_test_source, tmp_path,
                                                        monkeypatch, capsys,
                                                        forbid_training):
    data = tmp_path / "data"
    prepare(str(mirror), data)  # predict() adds the test files to data/raw
    config = RunConfig(tasks={t: default_task(t) for t in ("sst", "para", "sts")},
                       profile="smoke")
    first = run_or_load(config, data_dir=data, runs_dir=tmp_path / "runs", progress=False)

    # A stored result has no weights: asking for the model trains it again, to the same result.
    model = tmp_path / "model"
    again = run_or_load(config, data_dir=data, runs_dir=tmp_path / "runs", progress=False,
                        label="best", save_model=model)
    err = capsys.readouterr().err
    says(err, "best: ", "no weights", "training again")  # why it trains again
    says(err, "best: ", "training", "smoke", "1 epoch")
    says(err, "best: ", "trained")
    assert again["cached"] is False and again["metrics"] == first["metrics"]

    forbid_training()  # now the folder holds this run's model
    assert run_or_load(config, data_dir=data, runs_dir=tmp_path / "runs",
                       save_model=model)["cached"] is True

    lines = []
    written = predict(model, tmp_path / "predictions", data_dir=data,
                      test_source=str(small_test_source), log=lines.append)
    assert set(written) == SIX and written["para-test-output.csv"] is None
    assert any(line.startswith("para-test-output.csv: skipped") for line in lines)
    record = predictions_record(tmp_path / "predictions")
    assert record["rows"]["sst-test-output.csv"] == 40
    assert record["rows"]["sst-dev-output.csv"] == 32  # the smoke profile's dev subset
    assert "quora-test-student.csv" in record["skipped"]["para-test-output.csv"]
    for task, metric in METRIC_OF.items():
        path = written[f"{task}-dev-output.csv"]
        assert dev_metric(path, task, data) == pytest.approx(first["metrics"][metric], abs=1e-12)
    header = {name: path.read_text().splitlines()[0] for name, path in written.items() if path}
    assert header["sts-test-output.csv"] == "id \t Predicted_Similiary "

    # The command line: the same files, and the skipped one said so.
    monkeypatch.setattr(sys, "argv", ["python -m minbert_lab"])
    shutil.rmtree(tmp_path / "predictions")
    assert main(["--data-dir", str(data), "predict", "--model", str(model), "--out",
                 str(tmp_path / "predictions"), "--test-source", str(small_test_source)]) == 0
    out = capsys.readouterr().out
    assert "para-test-output.csv: skipped" in out
    assert "sst-dev-output.csv: 32 dev predictions" in out
    assert {p.name for p in (tmp_path / "predictions").iterdir()} == SIX - {
        "para-test-output.csv"} | {RECORD_FILE}
