"""The profiles: how much data and compute a run gets, and what its numbers are worth
(``smoke``, ``quick``, ``all-data``, ``full``); which seeds a profile's study shows, and which
profiles' studies only load committed results."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Profile:
    """How much data and compute a run gets, and what its numbers are worth.

    ``None`` sizes mean the whole split.
    """

    name: str
    train_examples: int | None  # per task
    dev_examples: int | None  # per task
    epochs: int
    batch_size: int
    lr: float
    max_length: int
    precision: str = "fp32"
    eval_batch_size: int = 128
    description: str  # one sentence: what the profile is for and what its numbers are worth

    def sizes(self) -> str:
        """``"1,024 train / 512 dev examples per task"`` or ``"all data"``."""
        if self.train_examples is None and self.dev_examples is None:
            return "all data (full dev sets)"
        train = f"{self.train_examples:,}" if self.train_examples else "all"
        dev = f"{self.dev_examples:,}" if self.dev_examples else "all"
        return f"{train} train / {dev} dev examples per task"

    def summary(self) -> str:
        """Sizes and recipe in one phrase, e.g. for a caption or a figure footer. The recipe is
        the profile's default: a run may set its own epochs or precision (the recipe trains 3
        epochs, the lever screen in bf16), and its table says so."""
        epochs = f"{self.epochs} epoch{'s' if self.epochs != 1 else ''}"
        return (f"{self.name} profile ({self.sizes()}; by default {epochs}, batch "
                f"{self.batch_size}, lr {self.lr:g}, {self.precision})")


PROFILES = {
    "smoke": Profile(
        name="smoke", train_examples=32, dev_examples=32, epochs=1, batch_size=16, lr=5e-5,
        max_length=32, precision="fp32",
        description="a test that the code runs, for tests and CI: these numbers are meaningless"),
    "quick": Profile(
        name="quick", train_examples=1024, dev_examples=512, epochs=2, batch_size=32, lr=5e-5,
        max_length=64, precision="bf16",
        description="small CPU runs, far from the paper's setup: noisy numbers, read "
                    "differences of a few points as noise"),
    # Every training row and the full dev sets at the usual BERT fine-tuning recipe, sized for
    # a CPU: 3 epochs would put its Table 4 at about 3.5 hours of 2-core CPU here, so 2. fp32,
    # because bf16 autocast is emulated (several times slower) on CPUs without AVX512-BF16 or
    # AMX, and committed results must come out the same on any CPU.
    "all-data": Profile(
        name="all-data", train_examples=None, dev_examples=None, epochs=2, batch_size=32,
        lr=5e-5, max_length=128, precision="fp32",
        description="all the data at a CPU budget (2 epochs, not 3: 3 would put Table 4 over "
                    "three hours of CPU; fp32, as bf16 is emulated on most CPUs)"),
    "full": Profile(
        name="full", train_examples=None, dev_examples=None, epochs=15, batch_size=64,
        lr=1e-5, max_length=128, precision="bf16",
        description="the paper's recipe (all data, 15 epochs, batch 64, lr 1e-5), for a GPU"),
}
# The seeds a profile's study shows: all-data, the three its seed study trained; others, 0.
STUDY_SEEDS = {"all-data": (0, 1, 2)}
# Profiles whose study loads the committed results and trains nothing unless asked
# (``MINBERT_TRAIN=1``, ``make study TRAIN=yes``): their runs take hours, and the committed
# runs are the study. A row not committed yet shows as not run, with the command that trains it.
LOAD_ONLY = ("all-data",)
