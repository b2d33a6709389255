"""The banner every notebook opens with: profile and what its numbers are worth, checkpoint,
the paper's setup for contrast, data split, seeds and where the outputs go."""

from __future__ import annotations

from minbert_lab.analysis.overview import PAPER_SETUP, checkpoint_note
from minbert_lab.data.splits import load_manifest, split_note
from minbert_lab.experiments.tables import profile_note
from minbert_lab.study.settings import StudySettings


def banner(study: StudySettings) -> str:
    """Markdown for the top of a notebook."""
    note = split_note(load_manifest(study.data_dir))
    warning = "**⚠ " if study.profile == "smoke" else "**"
    seeds = ", ".join(str(s) for s in study.seeds)
    return "\n".join([
        f"### minBERT Lab — profile `{study.profile}`, checkpoint `{study.checkpoint}`",
        "",
        f"{warning}{profile_note(study.profile)}.**",
        "",
        f"- **checkpoint:** `{study.checkpoint}` — {checkpoint_note(study.checkpoint)}",
        f"- **paper's setup:** {PAPER_SETUP}",
        f"- **data:** {note}",
        f"- **seeds:** {seeds}",
        "- **runs:** " + ("trained here when not stored yet (the run cache and the committed "
                          "results are read first)" if study.train else
                          "loaded from the committed results and the run cache only; nothing "
                          "trains here, and a run not stored yet shows as not run "
                          "(`make study TRAIN=yes` or `MINBERT_TRAIN=1` trains it)"),
        f"- **figures and tables saved to:** `{study.figures_dir}`",
    ])
