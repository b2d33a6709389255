from __future__ import annotations

from pathlib import Path

from minbert_lab.analysis.overview import (
    batches_per_epoch,
    checkpoint_note,
    checkpoint_summary,
    data_notes,
    label_distribution,
    likely_reasons,
    ordering_counts,
    skipped_rows,
    split_sizes,
)
from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.config import ORDERINGS
from minbert_lab.data.splits import load_manifest


def test_sizes_follow_the_manifest_and_the_profile(data_dir: Path):
    sizes = split_sizes(data_dir, "smoke")
    manifest = load_manifest(data_dir)
    assert sizes["train rows"].tolist() == [manifest["splits"][f"{t}-train"]["rows"]
                                           for t in ("sst", "para", "sts")]
    assert (sizes["train used (smoke)"] == 32).all()


def test_label_distributions_cover_every_row(data_dir: Path):
    manifest = load_manifest(data_dir)
    for task in ("sst", "para", "sts"):
        frame = label_distribution(task, data_dir)
        assert frame["train"].sum() == manifest["splits"][f"{task}-train"]["rows"]
        assert frame["dev"].sum() == manifest["splits"][f"{task}-dev"]["rows"]
    assert label_distribution("sst", data_dir)["label"].tolist() == [0, 1, 2, 3, 4]
    assert len(label_distribution("sts", data_dir)) == 5


def test_skipped_rows_and_the_carve_are_reported(data_dir: Path):
    skipped = skipped_rows(data_dir).set_index("file")
    manifest = load_manifest(data_dir)
    for name, info in manifest["files"].items():
        assert skipped.loc[name, "rows skipped"] == info["rows_skipped"]
    notes = data_notes(data_dir)
    if manifest["quora_split"] == "carved-from-dev":
        assert "sha1(id)" in notes and "quora-dev.csv" in notes


def test_checkpoint_summary_reads_its_config():
    facts = dict(checkpoint_summary(DEFAULT_CHECKPOINT).values)
    assert facts["layers"] == "6" and facts["hidden size"] == "384"


def test_batches_and_ordering_counts(data_dir: Path):
    assert batches_per_epoch(data_dir, "smoke") == {"sst": 2, "para": 2, "sts": 2}
    counts = ordering_counts({"sst": 3, "para": 5, "sts": 2})
    assert counts["ordering"].tolist() == list(ORDERINGS)
    sequential = counts.set_index("ordering").loc["sequential"]
    assert sequential["Quora paraphrase"] == 5 and sequential["steps"] == 10


def test_checkpoint_note_knows_the_default_and_names_others():
    assert "all-MiniLM-L6-v2" in checkpoint_note(DEFAULT_CHECKPOINT)
    assert "'/models/x'" in checkpoint_note("/models/x")


def test_reasons_mention_the_carve_only_when_it_happened():
    carved = {"quora_split": "carved-from-dev", "splits": {
        "para-train": {"rows": 10}, "para-dev": {"rows": 2}}}
    assert any("Quora" in r for r in likely_reasons("quick", DEFAULT_CHECKPOINT, carved))
    assert not any("Quora data" in r for r in likely_reasons("quick", DEFAULT_CHECKPOINT,
                                                             {"quora_split": "official"}))
    assert not any(r.startswith("epochs") for r in likely_reasons("full", DEFAULT_CHECKPOINT))
    assert any(r.startswith("epochs") for r in likely_reasons("all-data", DEFAULT_CHECKPOINT))
