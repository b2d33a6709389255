"""Notebook 04's sections, beyond the paper: gradient conflict with and without PCGrad, PCGrad
against shuffled batches, SST class balance, Table 4 over seeds, and score against cost. Each
returns a :class:`Section` from the runs of ``experiments.extensions`` over the study's seeds."""

from __future__ import annotations

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
from minbert_lab.experiments.extensions import (
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
from minbert_lab.experiments.store import RunStore
from minbert_lab.metrics import METRICS, SST_MACRO_RECALL
from minbert_lab.plots.class_balance import plot_class_balance
from minbert_lab.plots.conflict import plot_conflict
from minbert_lab.plots.cost import plot_score_vs_cost
from minbert_lab.plots.intervals import plot_intervals
from minbert_lab.stats.significance import compare, marked_summary, seed_summary
from minbert_lab.study.paper_tables import paper_table
from minbert_lab.study.runs import best_label, run_configs, run_seeded, train_hint
from minbert_lab.study.section import Section, SectionFigure
from minbert_lab.study.settings import StudySettings

# Notebook 04 compares runs over seeds: three, or two in the smoke profile (enough to test
# the code).
EXTENSION_SEEDS = {"smoke": (0, 1)}


def extensions_study(*, profile: str, checkpoint: str,
                     seeds: list[int] | None = None) -> StudySettings:
    """Notebook 04's settings: ``seeds`` when given, else ``EXTENSION_SEEDS`` (0, 1, 2)."""
    return StudySettings.from_env(profile=profile, checkpoint=checkpoint,
                                  seeds=seeds or EXTENSION_SEEDS.get(profile, (0, 1, 2)))


def training_plan(study: StudySettings, executor: str | None = None,
                  workers: int = 2) -> Section:
    """What the notebook needs, what is stored and a rough time for the rest; with an
    ``executor`` (``"local"`` or ``"slurm"``) every run still missing goes out as a submitit
    job now, so that the sections only load."""
    planned = planned_runs(study.profile, study.seeds, checkpoint=study.checkpoint)
    estimate = runtime_estimate(planned, data_dir=study.data_dir, runs_dir=study.runs_dir)
    reading = estimate_note(estimate)
    if executor and study.train:
        jobs = make_executor(executor, study.runs_dir / "submitit", workers=workers)
        train_planned(planned, jobs, data_dir=study.data_dir, runs_dir=study.runs_dir,
                      progress=study.progress)
    return Section(tables=[(None, estimate)], reading=reading)


def not_run(study: StudySettings, runs: dict[str, list], configs: dict) -> Section | None:
    """In a study that only loads, a section whose runs are not all stored says so instead:
    which arms, and the command that trains them; ``None`` when every arm has a run."""
    missing = [label for label, found in runs.items() if not found]
    if not missing:
        return None
    hint = train_hint(study, RunStore(study.data_dir, study.runs_dir).missing(
        {label: configs[label] for label in missing}).values(),
        command=f"`make beyond PROFILE={study.profile} TRAIN=yes`")
    return Section(reading=f"**Not run yet** (this {study.profile} study only loads stored "
                           f"runs): {', '.join(missing)}. {hint or ''}".strip())


def gradient_conflict(study: StudySettings) -> tuple[Section, dict[str, list[dict]]]:
    """Section 1, and the surgery arms' runs (section 2 compares them)."""
    arms = surgery_arms(study.profile, checkpoint=study.checkpoint)
    surgery = run_seeded(study, arms)
    if (missing := not_run(study, surgery, arms)) is not None:
        return missing, surgery
    conflicts = conflict_frame({label: surgery[label] for label in (ALL_TASKS, PCGRAD)})
    summary, layers = conflict_summary(conflicts), layer_table(conflicts)
    figure = SectionFigure("fig6-gradient-conflict", plot_conflict(conflicts))
    section = Section(figures=[figure],
                      tables=[("conflict", summary), (None, layers)],
                      reading=conflict_reading(summary, layers, study.profile))
    return section, surgery


def pcgrad_against_shuffled(study: StudySettings, surgery: dict[str, list[dict]], *,
                            resamples: int = 2000) -> Section:
    """Section 2: each arm's mean and interval over seeds, and the verdict test on the
    differences that matter."""
    if not all(surgery.values()):
        return Section(reading="**Not run yet:** see section 1.")
    summary = seed_summary(surgery, METRICS)
    tests = compare(surgery, [(PCGRAD, SHUFFLED), (PCGRAD, ALL_TASKS), (ALL_TASKS, SHUFFLED)],
                    ["score", "sst_acc"], resamples=resamples)
    figure = plot_intervals(summary, METRICS, title="PCGrad vs shuffled batches")
    return Section(figures=[SectionFigure("fig7-pcgrad-vs-shuffled", figure, shows_quora=True)],
                   tables=[("pcgrad-seeds", summary), ("pcgrad-bootstrap", tests)],
                   reading=comparison_reading(summary, tests, profile=study.profile,
                                              results=surgery))


def class_balance(study: StudySettings, *, resamples: int = 2000) -> Section:
    """Section 3: single-task SST plain, class-weighted and on a balanced sampler."""
    arms = class_balance_arms(study.profile, checkpoint=study.checkpoint)
    balance = run_seeded(study, arms)
    if (missing := not_run(study, balance, arms)) is not None:
        return missing
    summary = seed_summary(balance, ["sst_acc", SST_MACRO_RECALL])
    tests = compare(balance, [(WEIGHTED, PLAIN), (BALANCED, PLAIN)],
                    ["sst_acc", SST_MACRO_RECALL], resamples=resamples)
    recall = recall_frame(balance)
    figure = SectionFigure("fig8-sst-class-balance", plot_class_balance(recall))
    return Section(figures=[figure],
                   tables=[(None, summary), ("sst-class-recall", recall_table(recall)),
                           (None, tests)],
                   reading=balance_reading(summary, tests, recall, reference=PLAIN,
                                           profile=study.profile))


def score_against_cost(study: StudySettings) -> Section:
    """Section 5: every stored run's score against its training time and size (seed 0)."""
    configs = cost_configs(study.profile, seed=study.seeds[0], checkpoint=study.checkpoint)
    stored = run_configs(study, configs)
    if (missing := not_run(study, {label: [stored[label]] if label in stored else []
                                   for label in configs}, configs)) is not None:
        return missing
    costs = cost_frame(stored)
    figure = SectionFigure("fig10-score-vs-cost", plot_score_vs_cost(costs), shows_quora=True)
    return Section(figures=[figure],
                   tables=[("cost", costs)], reading=cost_reading(costs))


def table4_over_seeds(study: StudySettings, *, resamples: int = 2000) -> Section:
    """Section 4: Table 4 over the study's seeds, every row against the best one on the
    composite, and the paper's comparisons, all by the verdict test."""
    table = paper_table(study, "4")
    if len(table.results) < len(table.frame):  # a row with no stored run
        return Section(tables=[("table4-seeds", table.frame)], reading=table.caption)
    marked = marked_summary(table.results, "score", reference=best_label(table.frame),
                            resamples=resamples)
    claims = claims_table(table.results, "4", profile=study.profile, resamples=resamples)
    figure = table.figure or plot_intervals(seed_summary(table.results, METRICS), METRICS,
                                            title="Table 4 over seeds")
    return Section(figures=[SectionFigure("fig9-table4-intervals", figure, shows_quora=True)],
                   tables=[("table4-seeds", table.frame), ("table4-vs-best", marked),
                           ("table4-claims", claims)],
                   reading="\n\n".join([table.caption, claims_reading(claims)]))
