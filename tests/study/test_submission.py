"""A study's submission files (``study/submission.py``): where they go, and each dev file's metric
recomputed from the file against the prepared labels. (Training, saving and predicting end to
end run in ``test_predict.py`` and the smoke notebooks.)"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from minbert_lab.analysis.overview import read_clean
from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.predict import RECORD_FILE, write_predictions
from minbert_lab.study.settings import StudySettings, repo_root
from minbert_lab.study.submission import (
    dev_metric,
    submission_dirs,
    submission_table,
    wants_submission,
)


def _study(tmp_path: Path, outputs_dir: Path | None) -> StudySettings:
    return StudySettings("smoke", DEFAULT_CHECKPOINT, (0,), tmp_path / "data", tmp_path / "runs",
                         tmp_path / "figures", progress=False, outputs_dir=outputs_dir)


def test_model_and_files_go_under_the_outputs_folder(tmp_path: Path):
    assert submission_dirs(_study(tmp_path, tmp_path / "out")) == (
        tmp_path / "out" / "model", tmp_path / "out" / "predictions")
    model, _ = submission_dirs(_study(tmp_path, None))
    assert model == repo_root() / "outputs" / "smoke" / "model"


def test_the_submission_is_written_by_default_only_where_retraining_is_cheap(tmp_path: Path):
    study = _study(tmp_path, None)
    assert wants_submission(study, None) and not wants_submission(study, False)
    all_data = dataclasses.replace(study, profile="all-data")
    assert not wants_submission(all_data, None) and wants_submission(all_data, True)
    loading = dataclasses.replace(study, train=False)  # make study PROFILE=smoke TRAIN=no
    assert not wants_submission(loading, None) and wants_submission(loading, True)


def test_a_dev_files_metric_is_recomputed_from_the_file(data_dir: Path, tmp_path: Path):
    sst = read_clean("sst", "dev", data_dir).iloc[:10]
    guesses = [y if i < 6 else (y + 1) % 5 for i, y in enumerate(sst["label"])]  # 6 of 10
    write_predictions(tmp_path / "sst.csv", "sst", sst["id"].tolist(), guesses)
    assert dev_metric(tmp_path / "sst.csv", "sst", data_dir) == pytest.approx(0.6)
    sts = read_clean("sts", "dev", data_dir).iloc[:20]
    write_predictions(tmp_path / "sts.csv", "sts", sts["id"].tolist(),
                      [0.5 * y + 1 for y in sts["label"]])  # a linear map: Pearson r = 1
    assert dev_metric(tmp_path / "sts.csv", "sts", data_dir) == pytest.approx(1.0, abs=1e-6)


def test_the_table_has_a_row_per_file_with_both_metrics_and_skips(data_dir: Path,
                                                                  tmp_path: Path):
    out = tmp_path / "predictions"
    sst = read_clean("sst", "dev", data_dir).iloc[:4]
    write_predictions(out / "sst-dev-output.csv", "sst", sst["id"].tolist(),
                      sst["label"].tolist())  # all right
    (out / RECORD_FILE).write_text(json.dumps({
        "rows": {"sst-dev-output.csv": 4, "sst-test-output.csv": 7},
        "skipped": {"para-test-output.csv": "quora-test-student.csv is not in the source"}}))
    result = {"config": {"tasks": {"sst": {}, "para": {}}},
              "metrics": {"sst_acc": 0.25, "para_acc": 0.5}}
    table = submission_table(out, result, data_dir).set_index("file")
    assert list(table.index) == ["sst-dev-output.csv", "para-dev-output.csv",
                                 "sst-test-output.csv", "para-test-output.csv"]
    sst_dev = table.loc["sst-dev-output.csv"]
    assert (sst_dev["rows"], sst_dev["metric"]) == (4, "sst_acc")
    assert (sst_dev["from the file"], sst_dev["the run's"]) == (1.0, 0.25)
    assert table.loc["sst-test-output.csv", "rows"] == 7
    assert "quora-test-student.csv" in table.loc["para-test-output.csv", "note"]
    assert table.loc["para-dev-output.csv", "from the file"] == ""  # never written
