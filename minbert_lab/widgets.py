"""The ablation explorer: pick a task, head, loss, regulariser, dropout, ordering, weight sharing,
seed and profile; press Run; see the run against the paper's closest row, with its curves.

Runs go through ``run_or_load``, so a configuration any notebook already trained loads at
once. The result is kept on the explorer (``result``, ``comparison``, ``closest``, ``figure``)
and written into widget values (``status``, ``summary``, ``curves``), never only printed into
an ``Output``: outside a kernel (in tests) an ``Output`` captures nothing, and widget values
are what both a test and the browser can read. The progress bar is tqdm's notebook bar, shown
in the ``log`` output while a run trains; the lines a run writes to stderr (its epoch summary)
show there as plain output, not in a notebook's red stderr box. The results table carries its
own style, and the curves are shown at their natural size.

Example:
    >>> explorer = AblationExplorer(profile="smoke", data_dir=data, runs_dir=runs)
    >>> explorer.dropout.value = 0.3
    >>> explorer.run_button.click()        # or explorer.run()
    >>> explorer.comparison                # ours vs the paper's closest row
"""

from __future__ import annotations

import contextlib
import html
import io
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as W
import pandas as pd

from minbert_lab.analysis.closest import ClosestRow, closest_paper_row, comparison_frame
from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.config import (
    HEAD_LABELS,
    HEADS,
    LOSSES,
    ORDERINGS,
    REGULARIZERS,
    TASK_TITLES,
    TASKS,
    RunConfig,
    TaskConfig,
)
from minbert_lab.experiments.cache import run_or_load
from minbert_lab.experiments.grids import L2_WEIGHT, table4_base_tasks
from minbert_lab.experiments.store import RunStore
from minbert_lab.experiments.tables import profile_note
from minbert_lab.plots.curves import plot_training_curves
from minbert_lab.profiles import PROFILES

if TYPE_CHECKING:
    from minbert_lab.study.settings import StudySettings

LOSS_TITLES = {"cross_entropy": "cross-entropy",
               "weighted_cross_entropy": "class-weighted cross-entropy",
               "bce": "binary cross-entropy", "mnr": "multiple negatives ranking",
               "cosine_embedding": "cosine embedding", "mse": "mean squared error"}
# The weight the paper used with each regulariser (SMART's lambda_s per task; its L2 lambda is
# not given, so grids.L2_WEIGHT). Picking a regulariser sets this weight; it can be edited.
PAPER_REG_WEIGHTS = {("smart", "sst"): 3.0, ("smart", "para"): 0.5, ("smart", "sts"): 1.0,
                     ("l2", "sst"): L2_WEIGHT, ("l2", "para"): L2_WEIGHT, ("l2", "sts"): L2_WEIGHT}
DROPOUTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
# The results table's look: an HTML widget gets no notebook table style of its own.
TABLE_CLASS = "minbert-results"
TABLE_STYLE = (f"<style>.{TABLE_CLASS} {{border-collapse: collapse; margin: 4px 0;}} "
               f".{TABLE_CLASS} th, .{TABLE_CLASS} td {{padding: 3px 10px; text-align: right; "
               f"border-bottom: 1px solid #ddd;}} .{TABLE_CLASS} th {{background: #f3f3f3;}} "
               f".{TABLE_CLASS} td:first-child, .{TABLE_CLASS} th:first-child "
               "{text-align: left;}</style>")
_STYLE = {"description_width": "110px"}
_LAYOUT = W.Layout(width="330px")


class AblationExplorer:
    """The explorer's controls, its Run callback and its result views.

    Args:
        profile: the profile selected at start.
        checkpoint: the pretrained model every run starts from (a notebook's ``CHECKPOINT``).
        data_dir: prepared data.
        runs_dir: the run cache shared with the notebooks.
        progress: show tqdm's progress bar while training.
    """

    def __init__(self, *, profile: str = "quick", checkpoint: str = DEFAULT_CHECKPOINT,
                 data_dir: Path | str = "data", runs_dir: Path | str = "runs",
                 progress: bool = True) -> None:
        self.checkpoint = checkpoint
        self.data_dir, self.runs_dir, self.progress = Path(data_dir), Path(runs_dir), progress
        self.task = self._control(W.Dropdown, "task",
                                  options=[(TASK_TITLES[t], t) for t in TASKS], value="sst")
        self.multitask = W.Checkbox(value=False, description="train all three tasks (Table 4)",
                                    indent=False, layout=_LAYOUT)
        self.head = self._control(W.Dropdown, "head")
        self.loss = self._control(W.Dropdown, "loss")
        self.regularizer = self._control(W.Dropdown, "regulariser", options=list(REGULARIZERS),
                                         value="none")
        self.reg_weight = self._control(W.BoundedFloatText, "its weight", value=1.0, min=0.0,
                                        max=100.0, step=0.01)
        self.dropout = self._control(W.Dropdown, "dropout", options=list(DROPOUTS), value=0.1)
        self.ordering = self._control(W.Dropdown, "batch ordering", options=list(ORDERINGS),
                                      value="shuffled")
        self.shared_trunk = W.Checkbox(value=False, indent=False, layout=_LAYOUT,
                                       description="weight sharing (shared Linear + ReLU)")
        self.seed = self._control(W.BoundedIntText, "seed", value=0, min=0, max=1_000_000)
        self.profile = self._control(W.Dropdown, "profile", options=list(PROFILES),
                                     value=profile)
        self.run_button = W.Button(description="Run", button_style="primary", icon="play",
                                   tooltip="train this configuration, or load it from the cache")
        self.status = W.HTML(value="Choose a configuration and press <b>Run</b>.")
        self.log = W.Output()
        self.summary = W.HTML()
        # Natural size, never stretched to the output width (a one-task figure is narrow): the
        # image's own width attribute is set from each PNG.
        self.curves = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))

        self.result: dict | None = None
        self.closest: ClosestRow | None = None
        self.comparison: pd.DataFrame | None = None
        self.figure = None

        self.task.observe(self._on_task, names="value")
        self.head.observe(self._on_head, names="value")
        self.regularizer.observe(self._on_regularizer, names="value")
        self.multitask.observe(self._on_multitask, names="value")
        self.run_button.on_click(lambda _button: self.run())
        self._on_task()
        self._on_multitask()

        columns = [
            W.VBox([self.task, self.head, self.loss, self.multitask]),
            W.VBox([self.regularizer, self.reg_weight, self.dropout, self.seed]),
            W.VBox([self.ordering, self.shared_trunk, self.profile]),
        ]
        self.widget = W.VBox([
            W.HBox(columns),
            W.HBox([self.run_button, self.status]),
            self.log,
            self.summary,
            self.curves,
        ])

    def _ipython_display_(self) -> None:  # display(explorer) shows the controls
        from IPython.display import display

        display(self.widget)

    # ------------------------------------------------------------------ controls -> config

    def config(self) -> RunConfig:
        """The RunConfig the controls describe (``ValueError`` if they are inconsistent)."""
        task = self.task.value
        chosen = TaskConfig(self.head.value, self.loss.value, self.regularizer.value,
                            float(self.reg_weight.value))
        multitask = bool(self.multitask.value)
        # Multitask: the other two tasks keep the paper's best single-task setups (where its
        # Table 4 starts); the controls edit the chosen task only.
        tasks = {**table4_base_tasks(), task: chosen} if multitask else {task: chosen}
        # A single-task run keeps the config defaults for the multitask-only settings, so it
        # shares its cache entry with the paper tables' single-task rows.
        ordering = self.ordering.value if multitask else RunConfig().ordering
        shared = multitask and bool(self.shared_trunk.value)
        return RunConfig(tasks=tasks, profile=self.profile.value, checkpoint=self.checkpoint,
                         dropout=float(self.dropout.value), ordering=ordering,
                         shared_trunk=shared, seed=int(self.seed.value))

    # ------------------------------------------------------------------ the Run callback

    @classmethod
    def from_study(cls, study: StudySettings) -> AblationExplorer:
        """The explorer on a study's profile, checkpoint, data, run cache and first seed."""
        explorer = cls(profile=study.profile, checkpoint=study.checkpoint,
                       data_dir=study.data_dir, runs_dir=study.runs_dir,
                       progress=study.progress)
        explorer.seed.value = study.seeds[0]
        return explorer

    def run(self, *, load_only: bool = False) -> dict | None:
        """Trains (or loads) the configuration, then fills ``status``, ``summary`` and ``curves``.

        ``load_only``: a configuration that is not stored is not trained (the status says so):
        what a notebook's own first call uses in a study that only loads; the Run button trains.

        Returns the stored result, or ``None`` when the configuration is invalid, not stored
        (``load_only``), or training failed or was interrupted (``status`` then says why).
        """
        try:
            config = self.config()
            closest = closest_paper_row(config)
            cached = RunStore(self.data_dir, self.runs_dir).has(config)
        except (ValueError, OSError) as err:  # OSError: the data is not prepared
            self._set_status(f"cannot run this configuration: {err}", error=True)
            return None
        if load_only and not cached:
            self._set_status("not stored yet, and this study only loads stored runs: press Run "
                             "to train it")
            return None
        self._set_status("loading from the run cache…" if cached else
                         f"training ({config.profile} profile)…")
        self.run_button.disabled = True
        started = time.perf_counter()
        try:
            with self.log, contextlib.redirect_stderr(sys.stdout):
                self.log.clear_output()
                result = run_or_load(config, data_dir=self.data_dir, runs_dir=self.runs_dir,
                                     progress=self.progress)
        except (RuntimeError, OSError, ValueError) as err:
            self._set_status(f"the run failed: {err}", error=True)
            return None
        except KeyboardInterrupt as err:  # a kernel interrupt: the resume state is saved
            self._set_status(f"{err or 'interrupted'}; press Run to go on", error=True)
            return None
        finally:
            self.run_button.disabled = False
        seconds = time.perf_counter() - started
        self.result, self.closest = result, closest
        self.comparison = comparison_frame(result["metrics"], closest)
        self.figure = plot_training_curves({"this run": result})
        self.curves.value = _png(self.figure)
        self.curves.width = str(_png_width(self.curves.value))
        how = "loaded from the run cache" if result["cached"] else "trained"
        self._set_status(f"<b>done</b>: {how} in {seconds:.1f} s")
        self.summary.value = self._summary_html(config, result)
        return result

    # ------------------------------------------------------------------ helpers

    def _summary_html(self, config: RunConfig, result: dict) -> str:
        metrics = result["metrics"]
        shown = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items() if k != "epoch")
        table = TABLE_STYLE + self.comparison.to_html(
            index=False, border=0, float_format="{:.3f}".format, classes=TABLE_CLASS)
        return (
            f"<h4>Result — {html.escape(_describe(config))}</h4>"
            f"<p><i>{html.escape(profile_note(config.profile))}.</i></p>"
            f"<p>best epoch {metrics['epoch'] + 1} of {config.resolved().epochs}: {shown}</p>"
            f"<p>Paper's closest row: {html.escape(self.closest.describe())}.</p>"
            f"{table}"
        )

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status.value = (f"<span style='color:#b00020'>{html.escape(text)}</span>" if error
                             else text)

    def _control(self, cls, description: str, **kwargs):
        return cls(description=description, style=_STYLE, layout=_LAYOUT, **kwargs)

    def _on_task(self, _change=None) -> None:
        heads = HEADS[self.task.value]
        self.head.options = [(HEAD_LABELS[name], name) for name in heads]
        self.head.value = "cross_encoder" if "cross_encoder" in heads else heads[0]
        self._on_head()
        self._on_regularizer()

    def _on_head(self, _change=None) -> None:
        if self.head.value is None:
            return
        losses = LOSSES[(self.task.value, self.head.value)]
        self.loss.options = [(LOSS_TITLES.get(name, name), name) for name in losses]
        self.loss.value = losses[0]

    def _on_regularizer(self, _change=None) -> None:
        weight = PAPER_REG_WEIGHTS.get((self.regularizer.value, self.task.value))
        self.reg_weight.disabled = self.regularizer.value == "none"
        if weight is not None:
            self.reg_weight.value = weight

    def _on_multitask(self, _change=None) -> None:
        self.ordering.disabled = not self.multitask.value
        self.shared_trunk.disabled = not self.multitask.value


def _describe(config: RunConfig) -> str:
    parts = []
    for task, tc in config.tasks.items():
        reg = f" + {tc.regularizer} ({tc.reg_weight:g})" if tc.regularizer != "none" else ""
        parts.append(f"{task}: {tc.head} + {tc.loss}{reg}")
    extra = [f"dropout {config.dropout}", f"seed {config.seed}", f"profile {config.profile}",
             f"checkpoint {config.checkpoint}"]
    if config.multitask:
        extra[:0] = [f"{config.ordering} ordering"] + (["shared linear"] if config.shared_trunk
                                                        else [])
    return "; ".join(parts + extra)


def _png_width(png: bytes) -> int:
    """A PNG's width in pixels (its IHDR chunk)."""
    return int.from_bytes(png[16:20], "big")


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()
