from __future__ import annotations

import pytest
from facts import says
from fake_runs import dev_frames, fake_result, sigmoid

from minbert_lab.analysis.errors import (
    class_frequencies,
    confident_errors,
    confusion_frame,
    largest_sts_errors,
    para_confusion_reading,
    sst_frequency_reading,
)


def test_sst_confusion_shows_every_class_even_never_predicted():
    matrix = confusion_frame(fake_result(), "sst")
    assert matrix.shape == (5, 5)
    assert matrix.index.name == "true" and matrix.columns.name == "predicted"
    assert matrix.to_numpy().sum() == 10
    assert matrix[0].sum() == 0 and matrix[1].sum() == 5  # class 0 is never predicted
    assert matrix.loc[0, 1] == 2


def test_class_frequencies_count_train_dev_and_predictions():
    frequencies = class_frequencies(fake_result(), [0, 1, 1, 1, 3])
    assert frequencies["train count"].tolist() == [1, 3, 0, 1, 0]
    assert frequencies["dev (true) count"].tolist() == [2, 2, 2, 2, 2]
    assert frequencies["dev (predicted) count"].tolist() == [0, 5, 0, 5, 0]
    for name in ("train", "dev (true)", "dev (predicted)"):
        assert frequencies[f"{name} share"].sum() == pytest.approx(1.0)
    reading = sst_frequency_reading(frequencies)
    says(reading, "predicts", "1 and 3", "most often")
    says(reading, "never", "0, 2, 4")


def test_false_positives_are_surest_first_with_sentences():
    table = confident_errors(fake_result(), dev_frames()["para"], "false_positive", n=2)
    assert table["id"].tolist() == ["p4", "p5"]
    assert (table["label"] == 0).all() and (table["prediction"] == 1).all()
    assert table["p(paraphrase)"].iloc[0] == pytest.approx(sigmoid(4.0), abs=1e-3)
    assert table["sentence1"].iloc[0] == "para first sentence p4"


def test_false_negatives_are_surest_first():
    table = confident_errors(fake_result(), dev_frames()["para"], "false_negative", n=5)
    assert table["id"].tolist() == ["p7", "p6"]  # only two exist
    assert (table["label"] == 1).all() and (table["prediction"] == 0).all()


def test_error_kind_and_missing_sentences_are_checked():
    with pytest.raises(ValueError, match="kind="):
        confident_errors(fake_result(), dev_frames()["para"], "wrong")
    with pytest.raises(ValueError, match="not in the dev sentences"):
        confident_errors(fake_result(), dev_frames()["para"].iloc[:3], "false_positive")
    with pytest.raises(ValueError, match="task="):
        confusion_frame(fake_result(), "sts")


def test_largest_sts_errors_in_both_directions():
    table = largest_sts_errors(fake_result(), dev_frames()["sts"], n=2)
    low = table[table["direction"] == "rated too low"]
    high = table[table["direction"] == "rated too high"]
    assert low["error"].iloc[0] == pytest.approx(-3.5) and (low["error"] < 0).all()
    assert high["error"].iloc[0] == pytest.approx(2.8) and (high["error"] > 0).all()
    assert "sts first sentence t0" in low["sentence1"].tolist()


def test_para_reading_counts_the_mistakes():
    reading = para_confusion_reading(confusion_frame(fake_result(), "para"))
    says(reading, "3 false positives", "2 false negatives", "10 dev pairs")
    says(reading, "precision 0.400", "recall 0.500")
    assert "more false positives" in reading
