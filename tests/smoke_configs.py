"""The small smoke-profile configs many tests train or key on, defined once. Importable from any
test (``from smoke_configs import SST_SMOKE``); ``conftest.py`` trains ``MULTITASK_SMOKE`` once
per session for the tests that only read a finished run (``smoke_result``).

Tests that need a variant write it as a change of one of these
(``dataclasses.replace(SST_SMOKE, epochs=2)``), so the difference is what the line says.
"""

from __future__ import annotations

from minbert_lab.config import RunConfig, TaskConfig

# The three tasks with the paper's heads: linear SST, a cross-encoder for paraphrase, a Siamese
# cosine head for similarity (each of the three input forms: single, cross, siamese).
THREE_TASKS = {"sst": TaskConfig("linear", "cross_entropy"),
               "para": TaskConfig("cross_encoder", "bce"),
               "sts": TaskConfig("siamese_cosine", "mse")}

# Smoke profile: 32 training and 32 dev examples per task, batches of 16, one epoch.
SST_SMOKE = RunConfig(tasks={"sst": THREE_TASKS["sst"]}, profile="smoke")
STS_SMOKE = RunConfig(tasks={"sts": TaskConfig("cross_encoder", "mse")}, profile="smoke")
MULTITASK_SMOKE = RunConfig(tasks=THREE_TASKS, profile="smoke")
