"""Our recipe beside the paper, the single-task references and the do-nothing reference; what
each of its levers is worth; and the paper's section-5 claims about multitask learning, tested
at scale.

Every function takes stored results (``run_or_load``'s, in seed order) and returns a DataFrame
or Markdown; the comparisons are the paired bootstrap of ``stats.significance`` (several seeds
of the recipe against a single run of a reference is allowed: each seed is compared with it on
the same resampled dev examples and the differences are averaged).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import pandas as pd

from minbert_lab.analysis.verdicts import CONTRADICTED, REPRODUCED, claim_verdict
from minbert_lab.metrics import METRIC_NAMES, METRIC_OF, METRICS, composite
from minbert_lab.stats.significance import (
    LEVEL,
    NOT_SIGNIFICANT,
    compare,
    example_interval,
    paired_bootstrap,
    seed_summary,
)

# What a lever's time cost is a ratio of: CPU time when every run compared carries it (a
# process paused while tests ran adds none to it), else wall clock. Train minutes are wall clock.
COST_BASES = {"train_cpu_seconds": "CPU time", "train_seconds": "wall clock"}
COST_NOTE = ("time cost: the ratio of training CPU time where every run compared carries it "
             "(a pause adds none), else of wall clock (column cost from)")
# The paper's section 5, as (claim, metric, the side the paper says is better).
MULTITASK_CLAIMS = (
    ("STS performs better in multitask than in single-task fine-tuning", "sts_pearson",
     "multitask"),
    ("SST performs worse in multitask than in single-task fine-tuning", "sst_acc", "single"),
)


def combined_single_task(references: Mapping[str, dict]) -> dict:
    """The three single-task references as one result: each task's dev predictions and metric
    from its own model, the composite over the three, their training time summed, each task's
    config (``config.tasks``, where every reference has its config) and their seed
    (``config.seed``) when they share one."""
    metrics = {METRIC_OF[t]: float(r["metrics"][METRIC_OF[t]]) for t, r in references.items()}
    metrics["score"] = composite(metrics)
    configs = {t: r["config"] for t, r in references.items() if "config" in r}
    seeds = {c["seed"] for c in configs.values()}
    tasks = {t: c["tasks"][t] for t, c in configs.items() if t in c.get("tasks", {})}
    config = {**({"seed": seeds.pop()} if len(seeds) == 1 else {}),
              **({"tasks": tasks} if len(tasks) == len(references) else {})}
    return {**({"config": config} if config else {}),
            "metrics": metrics,
            "predictions": {t: r["predictions"][t] for t, r in references.items()},
            "timings": {"train_seconds": sum(r["timings"]["train_seconds"]
                                             for r in references.values())}}


def recipe_summary(results: Mapping[str, Sequence[dict]],
                   paper: Mapping[str, Mapping[str, float]] | None = None,
                   level: float = LEVEL, *, one_model: Collection[str] = ()) -> pd.DataFrame:
    """One row per label: seeds, each metric's mean with its Student-t interval over seeds (a
    single run has none), and training minutes per run; then the paper's rows (numbers only).

    Args:
        one_model: labels whose one result is one model made of several runs (an ensemble:
            ``members`` names their seeds). Its interval is over the dev examples
            (``example_interval``: it has no seeds to vary), and ``seeds`` counts its members.
    """
    frame = seed_summary(results, METRICS, level)
    for label in one_model:
        if label not in results:
            continue
        (model,) = results[label]
        row = frame.index[frame["label"] == label][0]
        frame.loc[row, "seeds"] = len(model["members"])
        for metric in METRICS:
            _, low, high = example_interval(model, metric, level=level)
            frame.loc[row, [f"{metric}_low", f"{metric}_high"]] = round(low, 4), round(high, 4)
    frame["train minutes"] = [
        round(sum(r["timings"]["train_seconds"] for r in runs) / len(runs) / 60, 1)
        for runs in results.values()]
    if paper:
        extra = pd.DataFrame([{"label": label, "seeds": 0, **values}
                              for label, values in paper.items()])
        frame = pd.concat([frame, extra], ignore_index=True)
    frame.attrs["level"] = level
    return frame


def recipe_comparisons(recipe: str, results: Mapping[str, Sequence[dict]],
                       metrics: Sequence[str] = METRICS, **kwargs) -> pd.DataFrame:
    """The recipe against every other label, on each metric both were evaluated on."""
    rows = []
    for other, runs in results.items():
        if other == recipe:
            continue
        shared = [m for m in metrics if m in runs[0]["metrics"] and m in
                  results[recipe][0]["metrics"]]
        rows.append(compare({recipe: results[recipe], other: runs}, [(recipe, other)], shared,
                            **kwargs))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def ablation_table(recipe_run: dict, without: Mapping[str, dict], *, resamples: int = 2000,
                   level: float = LEVEL) -> pd.DataFrame:
    """What each lever is worth: the recipe minus the recipe without it (same seed), on the
    score and on each task, by the paired bootstrap; and what the lever costs in training time.

    Args:
        recipe_run: the recipe's run with the seed the ablations used.
        without: ``"without <lever>"`` -> that run.
    """
    return _lever_frame([_lever_row(label.removeprefix("without "), [recipe_run], [run],
                                    resamples, level) for label, run in without.items()],
                        resamples, level)


def screen_table(recipe_run: dict, with_lever: Mapping[str, dict], *, resamples: int = 2000,
                 level: float = LEVEL) -> pd.DataFrame:
    """A lever screen: each run of the recipe with one lever added minus the recipe (same seed
    and precision), in ``ablation_table``'s columns.

    Args:
        recipe_run: the recipe's run the screen compares with.
        with_lever: ``"with <lever>"`` -> that run.
    """
    return _lever_frame([_lever_row(label.removeprefix("with "), [run], [recipe_run],
                                    resamples, level) for label, run in with_lever.items()],
                        resamples, level)


def confirmation_table(recipe_runs: Sequence[dict], with_lever: Mapping[str, Sequence[dict]],
                       *, resamples: int = 2000, level: float = LEVEL) -> pd.DataFrame:
    """A lever confirmed over seeds: the recipe with the lever added minus the recipe, every
    stored seed of each side, by the verdict test over seeds and dev examples together; per-task
    gains are differences of the means over seeds; training minutes are per run, on average.
    ``ablation_table``'s columns, with ``seeds`` (with / without) after the lever.

    Args:
        recipe_runs: the recipe's runs, one per seed, in the precision of the lever's runs.
        with_lever: ``"with <lever>"`` -> its runs, one per seed.
    """
    return _lever_frame([_lever_row(label.removeprefix("with "), runs, recipe_runs, resamples,
                                    level) for label, runs in with_lever.items()],
                        resamples, level)


def _lever_row(lever: str, with_runs: Sequence[dict], without_runs: Sequence[dict],
               resamples: int, level: float) -> dict:
    d = paired_bootstrap(with_runs, without_runs, "score", resamples=resamples, level=level)
    row = {"lever": lever, "seeds": f"{len(with_runs)} / {len(without_runs)}",
           "score gain": round(d.difference, 4), "low": round(d.low, 4),
           "high": round(d.high, 4), "p_value": round(d.p_value, 4),
           "verdict": NOT_SIGNIFICANT if not d.significant else
           ("helps" if d.difference > 0 else "hurts")}
    for task, metric in METRIC_OF.items():
        row[f"{task} gain"] = round(_mean(with_runs, metric) - _mean(without_runs, metric), 4)
    mine = _mean(with_runs, "train_seconds", "timings")
    theirs = _mean(without_runs, "train_seconds", "timings")
    row["train minutes with"], row["without"] = round(mine / 60, 1), round(theirs / 60, 1)
    basis = ("train_cpu_seconds" if all("train_cpu_seconds" in r["timings"]
                                        for r in (*with_runs, *without_runs))
             else "train_seconds")
    cost = _mean(with_runs, basis, "timings") / _mean(without_runs, basis, "timings")
    row["time cost"] = f"{cost:.2f}x"
    row["cost from"] = COST_BASES[basis]
    return row


def _mean(runs: Sequence[dict], name: str, part: str = "metrics") -> float:
    return sum(r[part][name] for r in runs) / len(runs)


def _lever_frame(rows: list[dict], resamples: int, level: float) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame.attrs.update(level=level, resamples=resamples)
    return frame


def multitask_claims(multitask: Sequence[dict], references: Mapping[str, Sequence[dict]], *,
                     resamples: int = 2000, level: float = LEVEL) -> pd.DataFrame:
    """The paper's section-5 claims: a multitask model's runs against the single-task
    references' runs (task -> one per seed), task by task. ``ours`` is multitask minus
    single-task."""
    rows = []
    for text, metric, better in MULTITASK_CLAIMS:
        task = next(t for t, m in METRIC_OF.items() if m == metric)
        d = paired_bootstrap(multitask, references[task], metric, resamples=resamples,
                             level=level)
        signed = d if better == "multitask" else _negated(d)
        rows.append({"claim": text, "metric": metric, "ours": round(d.difference, 4),
                     "low": round(d.low, 4), "high": round(d.high, 4),
                     "p_value": round(d.p_value, 4), "verdict": claim_verdict(signed)})
    frame = pd.DataFrame(rows)
    frame.attrs.update(level=level, resamples=resamples, seeds=len(multitask),
                       reference_seeds=min(len(runs) for runs in references.values()))
    return frame


def _negated(d):
    return type(d)(d.metric, -d.difference, -d.high, -d.low, d.p_value, d.resamples, d.level)


def recipe_reading(summary: pd.DataFrame, recipe: str, comparisons: pd.DataFrame,
                   ablations: pd.DataFrame | None = None,
                   claims: pd.DataFrame | None = None, target: float = 0.77) -> str:
    """The prose under the recipe's tables, computed from them."""
    row = summary.set_index("label").loc[recipe]
    lines = [f"**{recipe}**: score {row['score']:.3f} [{row['score_low']:.3f}, "
             f"{row['score_high']:.3f}] over {int(row['seeds'])} seeds "
             f"({', '.join(f'{METRIC_NAMES[m]} {row[m]:.3f}' for m in METRIC_OF.values())}); "
             + (f"it reaches the {target} target." if row["score"] >= target else
                f"below the {target} target by {target - row['score']:.3f}.")]
    lines += [_comparison_line(c, recipe)
              for _, c in comparisons[comparisons["metric"] == "score"].iterrows()]
    if ablations is not None and len(ablations):
        helped = ablations[ablations["verdict"] == "helps"]["lever"].tolist()
        lines.append("- levers that helped significantly: " + (", ".join(helped) or "none")
                     + "; the others' intervals include zero or go the wrong way (table above).")
    if claims is not None:
        for _, c in claims.iterrows():
            word = {REPRODUCED: "reproduced", CONTRADICTED: "contradicted"}.get(
                c["verdict"], NOT_SIGNIFICANT)
            lines.append(f"- the paper's \"{c['claim']}\": multitask minus single-task "
                         f"{c['ours']:+.4f} [{c['low']:+.4f}, {c['high']:+.4f}]: {word}.")
    return "\n".join(lines)


def one_against_three_reading(comparisons: pd.DataFrame, recipe: str) -> str:
    """The answer to the study's question, from the recipe's comparisons with each three-model
    system (``recipe_comparisons``): the score differences, and whether any shows one model
    beating three, or how large a difference these runs could have shown."""
    scores = comparisons[comparisons["metric"] == "score"]
    if scores.empty:
        return ""
    recipes = scores[scores["a"] == recipe]
    beaten = recipes[recipes["verdict"] == recipe]["b"].tolist()
    answer = ("**One model beats three:** significantly, against " + "; ".join(beaten) + "."
              if beaten else
              "**One model beating three is not shown:** no three-model system scores "
              "significantly below the recipe; with these runs the test could find a "
              f"difference of about {recipes['detectable'].min():.3f} or more.")
    return "\n".join([answer, *(_comparison_line(c, recipe) for _, c in scores.iterrows())])


def _comparison_line(c: pd.Series, recipe: str) -> str:
    """One comparison of ``a`` with ``b`` (``a`` named where it is not the recipe), as a
    bullet of a reading."""
    verdict = ("better" if c["verdict"] == c["a"] else NOT_SIGNIFICANT
               if c["verdict"] == NOT_SIGNIFICANT else "worse")
    who = "" if c["a"] == recipe else f"{c['a']} "
    return (f"- {who}against {c['b']}: {c['difference']:+.4f} [{c['low']:+.4f}, "
            f"{c['high']:+.4f}], "
            f"p = {c['p_value']:.3f}: {verdict}"
            + (f" (detectable: {c['detectable']:.3f})" if "detectable" in c else "") + ".")


def zero_shot_reading(frame: pd.DataFrame, task: str, label: str) -> str:
    """What Table 2 or 3 says against its zero-shot row ``label``: which fine-tuned rows end
    below doing nothing, and why each kind of head can."""
    column = f"ours_{METRIC_OF[task]}"
    zero = float(frame.loc[frame["label"] == label, column].iloc[0])
    rows = frame[frame["label"] != label]
    below = rows[rows[column].astype(float) < zero]
    lines = [f"**Zero-shot reference** (the pretrained checkpoint's mean-pooled cosine, no "
             f"training): {METRIC_NAMES[METRIC_OF[task]]} {zero:.3f}."]
    if below.empty:
        lines.append("Every fine-tuned row beats it.")
        return " ".join(lines)
    shown = ", ".join(f"{r.label} ({float(getattr(r, column)):.3f})"
                      for r in below.itertuples())
    lines.append(f"{len(below)} of {len(rows)} fine-tuned rows end below it: {shown}. "
                 "They left the encoder worse at this task than no training at all.")
    if below["label"].str.startswith("S-").any():
        lines.append("A Siamese row here starts from CLS pooling and a freshly initialised "
                     "projection, so it discards the mean-pooled geometry the checkpoint was "
                     "trained for and has to rebuild it from the training pairs.")
    if below["label"].str.startswith("CE").any():
        lines.append("A cross-encoder reads the two sentences joined, an input this sentence "
                     "encoder never saw in pretraining, so it starts from none of what the "
                     "zero-shot cosine knows.")
    return " ".join(lines)
