"""The data and the checkpoint at a glance: split sizes, label distributions, skipped rows, the
Quora carve, what the checkpoint is, how many batches per epoch each ordering trains, and how
our setup differs from the paper's.

Everything but ``train_labels`` reads only the manifest and the clean CSVs (no tokenizing),
so it is instant."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT, resolve_checkpoint
from minbert_lab.config import TASK_TITLES, TASKS
from minbert_lab.data.prepare import CARVED
from minbert_lab.data.splits import load_manifest, load_split, split_note
from minbert_lab.profiles import PROFILES
from minbert_lab.training.ordering import compositions

STS_BINS = (0, 1, 2, 3, 4, 5)
_PAPER = PROFILES["full"]  # the full profile is the paper's recipe
PAPER_SETUP = (f"bert-base-uncased, all data, batch {_PAPER.batch_size}, lr {_PAPER.lr:g}, "
               f"{_PAPER.epochs} epochs, on a GPU")
PAPER_SHORT = f"bert-base, {_PAPER.epochs} epochs, GPU"  # the same, in a caption
CHECKPOINT_NOTES = {
    DEFAULT_CHECKPOINT: (
        "all-MiniLM-L6-v2: a 6-layer, 384-wide BERT that was already trained as a sentence "
        "encoder on about a billion sentence pairs, Quora duplicates among them — not the "
        "paper's plain pretrained bert-base-uncased"
    ),
}


def read_clean(task: str, split: str, data_dir: Path | str) -> pd.DataFrame:
    """A prepared split as ``id, sentence1, sentence2, label`` (no tokens)."""
    manifest = load_manifest(data_dir)
    info = manifest["splits"][f"{task}-{split}"]
    return pd.read_csv(Path(data_dir) / info["file"], dtype={"id": str, "sentence1": str,
                       "sentence2": str}, keep_default_na=False)


def split_sizes(data_dir: Path | str, profile: str) -> pd.DataFrame:
    """One row per task: prepared train/dev rows and how many of them ``profile`` uses."""
    manifest = load_manifest(data_dir)
    p = PROFILES[profile]
    rows = []
    for task in TASKS:
        train = manifest["splits"][f"{task}-train"]["rows"]
        dev = manifest["splits"][f"{task}-dev"]["rows"]
        rows.append({
            "task": TASK_TITLES[task],
            "train rows": train,
            "dev rows": dev,
            f"train used ({profile})": min(train, p.train_examples or train),
            f"dev used ({profile})": min(dev, p.dev_examples or dev),
        })
    return pd.DataFrame(rows)


def label_distribution(task: str, data_dir: Path | str) -> pd.DataFrame:
    """Label counts and shares in train and dev. STS scores are binned into [0,1) ... [4,5]."""
    columns = {}
    for split in ("train", "dev"):
        labels = read_clean(task, split, data_dir)["label"]
        if task == "sts":
            labels = pd.cut(labels, bins=list(STS_BINS), right=False, include_lowest=True)
            # [4, 5) would drop the perfect 5.0 scores; they belong in the last bin.
            labels = labels.cat.rename_categories(
                [f"[{a}, {b})" if b < 5 else f"[{a}, {b}]" for a, b in zip(STS_BINS, STS_BINS[1:])]
            )
            labels = labels.fillna(labels.cat.categories[-1])
        counts = labels.value_counts(sort=False).sort_index()
        columns[split] = counts
        columns[f"{split} share"] = (counts / counts.sum()).round(3)
    frame = pd.DataFrame(columns).fillna(0)
    frame.index.name = "label" if task != "sts" else "similarity"
    return frame.reset_index()


def skipped_rows(data_dir: Path | str) -> pd.DataFrame:
    """Per source file: rows read, kept and skipped, and why (from the manifest)."""
    manifest = load_manifest(data_dir)
    rows = []
    for name, info in manifest["files"].items():
        reasons = "; ".join(f"{why}: {n}" for why, n in info.get("skipped", {}).items())
        rows.append({"file": name, "rows read": info["rows_read"], "rows kept": info["rows_kept"],
                     "rows skipped": info["rows_skipped"], "why": reasons or "—"})
    return pd.DataFrame(rows)


def data_notes(data_dir: Path | str) -> str:
    """Markdown: which split is used and, when Quora is carved, the carve rule."""
    manifest = load_manifest(data_dir)
    lines = [f"**Data split:** {split_note(manifest)}."]
    if manifest["quora_split"] == CARVED:
        lines.append(
            "There is no `quora-train.csv` in this source, so Quora train and dev are both carved "
            f"out of `quora-dev.csv` by the rule `{manifest['quora_carve_rule']}`. Our Quora "
            "dev set is therefore not the paper's, and our Quora training set is much smaller."
        )
    skipped = sum(info["rows_skipped"] for info in manifest["files"].values())
    lines.append(f"{skipped} source row{'s' if skipped != 1 else ''} skipped in all "
                 "(see the table below); none were repaired or guessed.")
    return "\n\n".join(lines)


def checkpoint_summary(checkpoint: str) -> pd.DataFrame:
    """What the checkpoint is, read from its ``config.json``: one row per property."""
    folder = resolve_checkpoint(checkpoint)
    config = json.loads((folder / "config.json").read_text())
    weights = sorted(p.name for p in folder.glob("*.safetensors")) or sorted(
        p.name for p in folder.glob("*.bin"))
    facts = {
        "name": checkpoint,
        "folder": str(folder),
        "architecture": ", ".join(config.get("architectures", [])) or config.get("model_type"),
        "layers": config.get("num_hidden_layers"),
        "hidden size": config.get("hidden_size"),
        "attention heads": config.get("num_attention_heads"),
        "intermediate size": config.get("intermediate_size"),
        "vocabulary": config.get("vocab_size"),
        "max positions": config.get("max_position_embeddings"),
        "weights": ", ".join(weights),
    }
    return pd.DataFrame({"property": list(facts), "value": [str(v) for v in facts.values()]})


def train_labels(task: str, data_dir: Path | str, *, profile: str,
                 checkpoint: str = DEFAULT_CHECKPOINT) -> np.ndarray:
    """The labels a run of ``profile`` trained on: the same fixed subset its runs load."""
    limit = PROFILES[profile].train_examples
    return load_split(task, "train", checkpoint=checkpoint, limit=limit,
                      data_dir=data_dir).labels.numpy()


def batches_per_epoch(data_dir: Path | str, profile: str) -> dict[str, int]:
    """Training batches per task in one epoch of ``profile`` (the input of every ordering)."""
    manifest = load_manifest(data_dir)
    p = PROFILES[profile]
    sizes = {t: min(manifest["splits"][f"{t}-train"]["rows"], p.train_examples or math.inf)
             for t in TASKS}
    return {t: math.ceil(n / p.batch_size) for t, n in sizes.items()}


def ordering_counts(n_batches: dict[str, int], *, seed: int = 0, epoch: int = 0) -> pd.DataFrame:
    """Per ordering: batches of each task in one epoch, and the epoch's steps."""
    rows = []
    for name, order in compositions(n_batches, seed=seed, epoch=epoch).items():
        counts = order["task"].value_counts()
        rows.append({"ordering": name, **{TASK_TITLES[t]: int(counts.get(t, 0)) for t in TASKS},
                     "steps": len(order)})
    return pd.DataFrame(rows)


def checkpoint_note(checkpoint: str) -> str:
    """What ``checkpoint`` is, in a phrase (its name, for one we know nothing about)."""
    return CHECKPOINT_NOTES.get(checkpoint, f"checkpoint {checkpoint!r}")


def likely_reasons(profile: str, checkpoint: str, manifest: dict | None = None) -> list[str]:
    """Why our numbers can differ from the paper's, most important first.

    ``manifest`` (the prepared data's) adds the Quora carve when the data used it.
    """
    p = PROFILES[profile]
    reasons = [
        f"checkpoint: {checkpoint_note(checkpoint)}; it starts ahead on the paraphrase and "
        "similarity tasks, most of all with Siamese (sentence-embedding) heads",
    ]
    if p.train_examples:
        reasons.append(f"data: {p.train_examples:,} training examples per task, not the full sets")
    if p.epochs < _PAPER.epochs:
        reasons.append(f"epochs: {p.epochs}, not the paper's {_PAPER.epochs}")
    if manifest is not None and manifest.get("quora_split") == CARVED:
        reasons.append(f"Quora data: {split_note(manifest)}; the paper reports the "
                       "whole Quora set (404,298 pairs)")
    reasons.append("one seed per configuration in the paper and (by default) here; "
                   "small differences between rows are within seed noise")
    return reasons
