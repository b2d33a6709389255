"""The paper's comparisons between table rows, tested over seeds with the paired bootstrap.

The paper reads single runs: 0.747 beats 0.746. Here each comparison it makes (``readings.
CLAIMS``) gets the difference averaged over seeds, its 95% bootstrap interval over dev examples
and a p-value, and a verdict that separates "reproduced" from "not significant".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from minbert_lab.analysis.banner import profile_caveat
from minbert_lab.analysis.readings import CLAIMS, METRIC_NAMES
from minbert_lab.analysis.significance import LEVEL, paired_bootstrap
from minbert_lab.experiments.grids import GRIDS


def claims_table(results: Mapping[str, Sequence[dict]], table: str, *, profile: str,
                 resamples: int = 2000, seed: int = 0, level: float = LEVEL) -> pd.DataFrame:
    """One row per comparison the paper makes in ``table``.

    Args:
        results: row label -> results in seed order (``analysis.tables.grid_results``).
        table: ``"1"`` to ``"4"``.
        profile: only to look up the paper's numbers of each row.

    Columns: ``claim, metric, paper`` (the paper's difference), ``ours`` (mean over seeds),
    ``low, high, p_value``, ``verdict``: "reproduced", "opposite" (both significant) or
    "not significant".
    """
    if table not in CLAIMS:
        raise ValueError(f"table={table!r} is not valid; choose one of {list(CLAIMS)}")
    paper = {row.label: row.paper for row in GRIDS[table](profile=profile)}
    rows = []
    for claim in CLAIMS[table]:
        if claim.better not in results or claim.worse not in results:
            continue
        d = paired_bootstrap(results[claim.better], results[claim.worse], claim.metric,
                             resamples=resamples, seed=seed, level=level)
        paper_diff = paper[claim.better][claim.metric] - paper[claim.worse][claim.metric]
        if not d.significant:
            verdict = "not significant"
        else:
            verdict = "reproduced" if (d.difference > 0) == (paper_diff > 0) else "opposite"
        rows.append({"claim": claim.text, "metric": claim.metric,
                     "paper": round(paper_diff, 4), "ours": round(d.difference, 4),
                     "low": round(d.low, 4), "high": round(d.high, 4),
                     "p_value": round(d.p_value, 4), "verdict": verdict})
    frame = pd.DataFrame(rows)
    frame.attrs.update(table=table, profile=profile, level=level, resamples=resamples,
                       seeds=len(next(iter(results.values()))))
    return frame


def claims_reading(claims: pd.DataFrame) -> str:
    """The verdicts as Markdown, with how many seeds and resamples stand behind them."""
    a = claims.attrs
    lines = [f"*{profile_caveat(a['profile'])}*", "",
             f"Each of the paper's Table {a['table']} comparisons, over {a['seeds']} seed"
             f"{'s' if a['seeds'] != 1 else ''} (difference averaged over seeds; "
             f"{a['level']:.0%} interval and p-value from {a['resamples']:,} paired bootstrap "
             "resamples of the dev examples):"]
    for row in claims.to_dict("records"):
        lines.append(f"- {row['claim']} ({METRIC_NAMES[row['metric']]}): paper "
                     f"{row['paper']:+.3f}, ours {row['ours']:+.3f} [{row['low']:+.3f}, "
                     f"{row['high']:+.3f}], p = {row['p_value']:.3f} — **{row['verdict']}**.")
    counts = claims["verdict"].value_counts()
    lines.append(f"- In all: {counts.get('reproduced', 0)} reproduced, "
                 f"{counts.get('opposite', 0)} significantly the other way, "
                 f"{counts.get('not significant', 0)} not significant at this size.")
    return "\n".join(lines)
