"""The banner every notebook opens with: profile and what its numbers are worth, checkpoint,
data split. Also the profile caveat and the list of likely reasons we differ from the paper."""

from __future__ import annotations

from minbert_lab.analysis.settings import StudySettings
from minbert_lab.config import PROFILES
from minbert_lab.data.prepare import CARVED
from minbert_lab.data.splits import load_manifest, split_note

PAPER_SETUP = "bert-base-uncased, all data, batch 64, lr 1e-5, 15 epochs, on a GPU"
CHECKPOINT_NOTES = {
    "minilm-l6": (
        "all-MiniLM-L6-v2: a 6-layer, 384-wide BERT that was already trained as a sentence "
        "encoder on about a billion sentence pairs, Quora duplicates among them — not the "
        "paper's plain pretrained bert-base-uncased"
    ),
}


def profile_caveat(profile: str) -> str:
    """One sentence saying what a profile's numbers are worth, sizes taken from the profile."""
    p = PROFILES[profile]
    size = (f"{p.train_examples:,} training and {p.dev_examples:,} dev examples per task"
            if p.train_examples else "all training and dev examples")
    epochs = f"{p.epochs} epoch{'s' if p.epochs != 1 else ''}"
    if profile == "smoke":
        return (f"Smoke profile ({size}, {epochs}): a test that the code runs. "
                "These numbers are meaningless; do not read anything into them.")
    if profile == "quick":
        return (f"Quick profile ({size}, {epochs}, batch {p.batch_size}, lr {p.lr:g},"
                f" {p.precision}, on a CPU): "
                "small runs, far from the paper's setup; expect noisy numbers and treat "
                "differences of a few points as noise.")
    return (f"Full profile ({size}, {epochs}, batch {p.batch_size}, lr {p.lr:g},"
            f" {p.precision}): "
            "the paper's recipe, on our checkpoint and data split.")


def checkpoint_note(checkpoint: str) -> str:
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
    if p.epochs < 15:
        reasons.append(f"epochs: {p.epochs}, not the paper's 15")
    if manifest is not None and manifest.get("quora_split") == CARVED:
        reasons.append(f"Quora data: {split_note(manifest)}; the paper reports the "
                       "whole Quora set (404,298 pairs)")
    reasons.append("one seed per configuration in the paper and (by default) here; "
                   "small differences between rows are within seed noise")
    return reasons


def banner(study: StudySettings) -> str:
    """Markdown for the top of a notebook."""
    note = split_note(load_manifest(study.data_dir))
    warning = "**⚠ " if study.profile == "smoke" else "**"
    seeds = ", ".join(str(s) for s in study.seeds)
    return "\n".join([
        f"### minBERT Lab — profile `{study.profile}`, checkpoint `{study.checkpoint}`",
        "",
        f"{warning}{profile_caveat(study.profile)}**",
        "",
        f"- **checkpoint:** `{study.checkpoint}` — {checkpoint_note(study.checkpoint)}",
        f"- **paper's setup:** {PAPER_SETUP}",
        f"- **data:** {note}",
        f"- **seeds:** {seeds}",
        f"- **figures and tables saved to:** `{study.figures_dir}`",
    ])
