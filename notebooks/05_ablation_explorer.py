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
# # 05 — Ablation explorer
#
# Pick a task, head, loss, regulariser and its weight, dropout, batch ordering, weight sharing,
# seed and profile, then press **Run**. A configuration that any notebook already ran loads at
# once from the run cache; a new one trains, with a progress bar. The result is shown against
# the paper's closest row (Tables 1–4; how ours differs from that row is listed), with its
# training curves.
#
# *Train all three tasks* switches to a multitask run: the chosen task uses the controls, the
# other two keep the paper's best single-task setups (the starting point of its Table 4).

# %% tags=["parameters"]
import os

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT

PROFILE = os.environ.get("MINBERT_PROFILE", "all-data")  # smoke | quick | all-data | full
CHECKPOINT = os.environ.get("MINBERT_CHECKPOINT", DEFAULT_CHECKPOINT)  # a folder, a hub name
SEEDS = None  # None: the profile's (all-data: 0, 1, 2; the others: 0); the explorer starts at
# the first

# %%
# %matplotlib inline
from IPython.display import HTML, Markdown, display

from minbert_lab.study import AblationExplorer, StudySettings, banner

study = StudySettings.from_env(profile=PROFILE, checkpoint=CHECKPOINT, seeds=SEEDS)
display(Markdown(banner(study)))

# %%
explorer = AblationExplorer.from_study(study)
explorer

# %% [markdown]
# A first result, so the page is never empty: the controls' starting configuration (Table 1's
# first row, loaded from the cache when notebook 01 ran). Change any control and press **Run**.
# Below the controls it shows in the explorer; here, the same result as static output, which is
# what the HTML copy of this notebook (no kernel, so no widgets) can show.

# %%
explorer.run(load_only=not study.train)
if explorer.result is not None:
    display(HTML(explorer.summary.value), explorer.figure)
