# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 — Error analysis of the best multitask model
#
# Section 5 of the paper: the SST confusion matrix against the class frequencies (Figure 4),
# the paraphrase confusion matrix (Figure 5), the paraphrase mistakes the model is surest of,
# and the largest similarity errors, with their sentences. The model is the best row of
# Table 4 by composite score, loaded from the stored runs (notebook 02 trained or loaded it).

# %% tags=["parameters"]
import os

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT

PROFILE = os.environ.get("MINBERT_PROFILE", "all-data")  # smoke | quick | all-data | full
CHECKPOINT = os.environ.get("MINBERT_CHECKPOINT", DEFAULT_CHECKPOINT)  # a folder, a hub name
SEEDS = None  # None: the profile's (all-data: 0, 1, 2; the others: 0)
N_EXAMPLES = 5  # rows per error table
# Save the best model and write its CS224N prediction files (outputs/). A stored result has no
# weights, so this trains the run again: seconds in smoke, about 20 minutes (2 CPU cores) in
# all-data, an hour or more in full. None: on in the smoke and quick profiles only; True or
# False (papermill: -p SUBMISSION True).
SUBMISSION = None

# %%
# %matplotlib inline
import pandas as pd
from IPython.display import Markdown, display

from minbert_lab.study import (
    StudySettings,
    banner,
    best_model,
    para_confusion,
    paraphrase_errors,
    similarity_errors,
    sst_confusion,
    submission,
)

pd.set_option("display.max_colwidth", None)  # the error tables show whole sentences
study = StudySettings.from_env(profile=PROFILE, checkpoint=CHECKPOINT, seeds=SEEDS)
display(Markdown(banner(study)))

# %%
header, label, best = best_model(study)
header

# %% [markdown]
# ## Figure 4 — SST confusion matrix and class frequencies
#
# The paper's model predicted mostly classes 1 and 3, never 0 or 4, and the paper links this
# to 1 and 3 being the most frequent training classes. The right panel puts our predicted class
# shares beside the training and dev shares.

# %%
fig4 = sst_confusion(study, best)
fig4.save(study)
fig4

# %% [markdown]
# ## Figure 5 — paraphrase confusion matrix

# %%
fig5 = para_confusion(best)
fig5.save(study)
fig5

# %% [markdown]
# ## The paraphrase mistakes the model is surest of
#
# The paper found false positives among near-identical questions whose one differing word
# changes the meaning ("Is atheism growing?" / "Why is atheism growing?") and false negatives
# among same-intent questions with different keywords. Ours, most confident first (our Quora
# dev set is carved from `quora-dev.csv`, so these are not the paper's pairs):

# %%
paraphrase_errors(study, best, N_EXAMPLES)

# %% [markdown]
# ## The largest similarity errors
#
# The paper's examples: a pair rated 4.0 but predicted 0.44 ("I think there isn't a general
# answer" / "I don't think there is a single definition") — different words, same meaning —
# and one rated 0.0 but predicted 2.8 ("Work into it slowly" / "It seems to work") — shared
# words, different meaning. Ours, by signed error (prediction − label):

# %%
similarity_errors(study, best, N_EXAMPLES)

# %% [markdown]
# ## The best model as a CS224N submission
#
# The CS224N leaderboard takes six files, `sst-dev-output.csv`, `sst-test-output.csv`,
# `para-dev-output.csv`, `para-test-output.csv`, `sts-dev-output.csv` and `sts-test-output.csv`,
# in the starter code's format. This saves the best multitask model (its best epoch's weights,
# config and tokenizer; a stored result holds no weights, so the run is trained once more, to the
# same numbers) and writes its predictions: for the dev examples the run was scored on, and for
# every test row. Both are skipped when already done. A test file our data source lacks is
# skipped and said so (the offline mirror has no `quora-test-student.csv`). The dev metrics
# recomputed from the files must equal the run's. From a terminal:
# `python -m minbert_lab run ... --save-model DIR`, then `python -m minbert_lab predict --model DIR`.

# %%
files = submission(study, label, SUBMISSION)
display(files, Markdown(files.attrs["caption"]))

# %% [markdown]
# Saved:

# %%
print("\n".join(str(path) for path in study.saved))
