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
# # 04 — Beyond the paper
#
# The paper ends with hypotheses it could not test, and compares single runs. This notebook
# tests them:
#
# 1. **Gradient conflict.** Does SST's gradient pull the shared encoder against the
#    paraphrase and similarity gradients? A probe measures the cosine between task gradients
#    during training, with and without **gradient surgery** (PCGrad).
# 2. **PCGrad vs shuffled batches**, over seeds, with intervals and a paired bootstrap.
# 3. **Class balance.** Does SST's imbalance drive its confusion? Class-weighted loss and a
#    balanced sampler against plain cross entropy: per-class recall, predicted class shares.
# 4. **Table 4 over seeds**: means, 95% intervals, and each of the paper's comparisons tested.
# 5. **Score against cost**: what the cross-encoder's gain costs in time.
#
# Not part of `make study` (it trains several seeds): run it with `make beyond`. Every number
# below is computed from the runs; the prose under each result is generated from them too.

# %% tags=["parameters"]
import os

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT

PROFILE = os.environ.get("MINBERT_PROFILE", "quick")  # smoke | quick | all-data | full
CHECKPOINT = os.environ.get("MINBERT_CHECKPOINT", DEFAULT_CHECKPOINT)  # a folder, a hub name
SEEDS = None  # None: 0, 1, 2 (0, 1 in the smoke profile: enough to test the code)
RESAMPLES = 2000  # paired bootstrap resamples of the dev examples
# None: train here, one run after another; "local" (processes on this machine) or "slurm" (a
# job array): every run still to train goes out as a submitit job first, WORKERS at a time.
EXECUTOR = os.environ.get("MINBERT_EXECUTOR") or None
WORKERS = 2

# %%
# %matplotlib inline
from IPython.display import Markdown, display

from minbert_lab.analysis.class_balance import recall_frame, recall_table
from minbert_lab.analysis.conflict import (
    conflict_frame,
    conflict_reading,
    conflict_summary,
    layer_table,
)
from minbert_lab.analysis.cost import cost_frame, cost_reading
from minbert_lab.analysis.verdicts import (
    balance_reading,
    claims_reading,
    claims_table,
    comparison_reading,
)
from minbert_lab.experiments.beyond import (
    ALL_TASKS,
    BALANCED,
    PCGRAD,
    PLAIN,
    SHUFFLED,
    WEIGHTED,
    class_balance_arms,
    cost_configs,
    estimate_note,
    planned_runs,
    runtime_estimate,
    surgery_arms,
    train_planned,
)
from minbert_lab.experiments.fanout import make_executor
from minbert_lab.experiments.tables import caption
from minbert_lab.plots.class_balance import plot_class_balance
from minbert_lab.plots.conflict import plot_conflict
from minbert_lab.plots.cost import plot_score_vs_cost
from minbert_lab.plots.intervals import plot_intervals
from minbert_lab.stats.significance import compare, marked_summary, seed_summary
from minbert_lab.study.banner import banner
from minbert_lab.study.runs import best_label, grid_results, run_configs, run_seeded, run_table
from minbert_lab.study.settings import StudySettings
from minbert_lab.training.metrics import METRICS, SST_MACRO_RECALL

seeds = SEEDS or ([0, 1] if PROFILE == "smoke" else [0, 1, 2])
study = StudySettings.from_env(profile=PROFILE, checkpoint=CHECKPOINT, seeds=seeds)
display(Markdown(banner(study)))

# %% [markdown]
# ## What this notebook will train
#
# Runs already in the cache (notebooks 01 and 02 made the seed-0 rows of Tables 1–4) only
# load. The estimate is rough: the median time of cached runs of the same kind on this machine.

# %%
planned = planned_runs(study.profile, study.seeds, checkpoint=study.checkpoint)
estimate = runtime_estimate(planned, data_dir=study.data_dir, runs_dir=study.runs_dir)
display(Markdown(estimate_note(estimate)), estimate)

# %% [markdown]
# With `EXECUTOR` set, everything still to train goes out now as submitit jobs, one run each
# (job logs under `runs/submitit/`), and the sections below only load; without it, each
# section trains its own runs here.

# %%
if EXECUTOR:
    executor = make_executor(EXECUTOR, study.runs_dir / "submitit", workers=WORKERS)
    train_planned(planned, executor, data_dir=study.data_dir, runs_dir=study.runs_dir,
                  progress=study.progress)

# %% [markdown]
# ## 1 — Gradient conflict, with and without PCGrad
#
# Three ways to train the paper's best multitask setup (Table 4, "Shuffled batches + SST
# unreg'd"): its shuffled batches (one task per step); **all tasks per step** (a batch of each
# task, gradients summed: the same batches, a third as many optimizer steps); and all tasks per
# step with **PCGrad**, which removes from each task's gradient the part that works against
# another task's before summing. The two all-tasks runs carry the conflict probe: at evenly
# spaced points of training it measures the cosine between each pair of task gradients on the shared
# encoder, on fixed probe batches, per layer and overall.

# %%
surgery = run_seeded(study, surgery_arms(study.profile, checkpoint=study.checkpoint))
conflicts = conflict_frame({label: surgery[label] for label in (ALL_TASKS, PCGRAD)})
conflict_table = conflict_summary(conflicts)
layers = layer_table(conflicts)
fig6 = plot_conflict(conflicts)
study.save_figure(fig6, "fig6-gradient-conflict")
study.save_table(conflict_table, "conflict")
display(fig6, Markdown(conflict_reading(conflict_table, layers, study.profile)),
        conflict_table, layers)

# %% [markdown]
# ## 2 — PCGrad vs shuffled batches
#
# Mean and 95% interval over seeds for each metric; then the paired bootstrap over dev
# examples for the differences that matter. *not significant* marks a difference the data
# cannot tell from zero.

# %%
surgery_summary = seed_summary(surgery, METRICS)
surgery_tests = compare(surgery, [(PCGRAD, SHUFFLED), (PCGRAD, ALL_TASKS), (ALL_TASKS, SHUFFLED)],
                        ["score", "sst_acc"], resamples=RESAMPLES)
fig7 = plot_intervals(surgery_summary, METRICS, title="PCGrad vs shuffled batches")
study.save_figure(fig7, "fig7-pcgrad-vs-shuffled")
study.save_table(surgery_summary, "pcgrad-seeds")
study.save_table(surgery_tests, "pcgrad-bootstrap")
display(fig7, Markdown(comparison_reading(surgery_summary, surgery_tests,
                                          profile=study.profile, results=surgery)),
        surgery_summary, surgery_tests)

# %% [markdown]
# ## 3 — SST class balance
#
# Single-task SST three ways: plain cross entropy (Table 1's first row), cross entropy with
# class weights inversely proportional to the training class counts, and plain cross entropy
# on a balanced sampler (each pass draws every class equally often). Macro recall — the mean of
# the per-class recalls — is what re-balancing aims at; accuracy may drop.

# %%
balance = run_seeded(study, class_balance_arms(study.profile, checkpoint=study.checkpoint))
balance_summary = seed_summary(balance, ["sst_acc", SST_MACRO_RECALL])
balance_tests = compare(balance, [(WEIGHTED, PLAIN), (BALANCED, PLAIN)],
                        ["sst_acc", SST_MACRO_RECALL], resamples=RESAMPLES)
recall = recall_frame(balance)
fig8 = plot_class_balance(recall)
study.save_figure(fig8, "fig8-sst-class-balance")
study.save_table(recall_table(recall), "sst-class-recall")
display(fig8, Markdown(balance_reading(balance_summary, balance_tests, recall, reference=PLAIN,
                                       profile=study.profile)),
        balance_summary, recall_table(recall), balance_tests)

# %% [markdown]
# ## 4 — Table 4 over seeds
#
# The seven multitask rows, each trained once per seed (seed 0 is notebook 02's run, loaded
# from the cache). The paper's numbers are beside our means; `_low`/`_high` bound the 95%
# interval over seeds. Below it, every row against the best one (paired bootstrap on the
# composite), and the paper's own comparisons tested.

# %%
table4 = run_table(study, "4")
study.save_table(table4, "table4-seeds")
display(table4, Markdown(caption(table4)))

# %%
table4_runs = grid_results(study, "4")
table4_marked = marked_summary(table4_runs, "score", reference=best_label(table4),
                               resamples=RESAMPLES)
table4_claims = claims_table(table4_runs, "4", profile=study.profile, resamples=RESAMPLES)
fig9 = plot_intervals(seed_summary(table4_runs, METRICS), METRICS, title="Table 4 over seeds")
study.save_figure(fig9, "fig9-table4-intervals")
study.save_table(table4_marked, "table4-vs-best")
study.save_table(table4_claims, "table4-claims")
display(fig9, table4_marked, Markdown(claims_reading(table4_claims)), table4_claims)

# %% [markdown]
# ## 5 — Score against cost
#
# Every stored result carries its training time, throughput and parameter count. The paper
# prefers the cross-encoder for accuracy and notes it costs more; here is how much, per pair,
# for the single-task heads of Tables 2 and 3 and the multitask runs (seed 0; all loaded from
# the cache).

# %%
costs = cost_frame(run_configs(study, cost_configs(study.profile, seed=study.seeds[0],
                                                   checkpoint=study.checkpoint)))
fig10 = plot_score_vs_cost(costs)
study.save_figure(fig10, "fig10-score-vs-cost")
study.save_table(costs, "cost")
display(fig10, Markdown(cost_reading(costs)), costs)

# %% [markdown]
# Saved:

# %%
print("\n".join(str(path) for path in study.saved))
