"""The study's vocabulary: tasks, heads, losses, regularizers, orderings, profiles, RunConfig.

Everything that can be chosen is named here once; every invalid value raises ``ValueError``
naming the field and the valid choices, before any data is read or any model is built.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

TASKS = ("sst", "para", "sts")
TASK_TITLES = {"sst": "SST-5 sentiment", "para": "Quora paraphrase", "sts": "STS-B similarity"}

SST_HEADS = ("linear",)
PAIR_HEADS = ("S-CD", "S-CS", "CE")  # Siamese concat-difference, Siamese cosine, cross-encoder
HEADS = {"sst": SST_HEADS, "para": PAIR_HEADS, "sts": PAIR_HEADS}

# Which loss fits which (task, head): MNR and the cosine embedding loss need two sentence
# embeddings, so they exist only for Siamese heads.
LOSSES = {
    ("sst", "linear"): ("ce", "weighted_ce"),
    ("para", "S-CD"): ("bce", "mnr"),
    ("para", "S-CS"): ("bce", "cos_emb", "mnr"),
    ("para", "CE"): ("bce",),
    ("sts", "S-CD"): ("mse",),
    ("sts", "S-CS"): ("mse", "cos_emb"),
    ("sts", "CE"): ("mse",),
}
DEFAULT_LOSS = {"sst": "ce", "para": "bce", "sts": "mse"}
REGULARIZERS = ("none", "l2", "smart")
ORDERINGS = ("sequential", "shuffled", "weighted", "proportional", "round_robin")
POOLINGS = ("cls", "mean")
# fp32, or bf16 autocast (matmuls in bf16; losses, reductions and the optimizer in fp32).
PRECISIONS = ("fp32", "bf16")
# How a task's training examples are drawn each pass: as they come (shuffled), or resampled so
# every class is equally likely (classification tasks only; see training/sampling.py).
SAMPLERS = ("uniform", "balanced")
CLASSIFICATION_TASKS = ("sst", "para")
# One optimizer step per task batch, or one step per round of one batch from every task.
TASKS_PER_STEP = ("one", "all")
# How an all-tasks step combines the task gradients: summed, or PCGrad (training/surgery.py).
GRADIENT_SURGERIES = ("none", "pcgrad")

# Fields added after results were first cached. ``to_dict`` leaves them out while they hold
# their default, so every config that existed before them keeps its cache key (and its stored
# results stay valid); a non-default value is written out and changes the key as it should.
_KEYED_WHEN_SET = {"key_when_default": False}


@dataclass(frozen=True)
class Profile:
    """How much data and compute a run gets.

    ``None`` sizes mean the whole split. ``smoke`` exists for tests and CI (its numbers mean
    nothing); ``quick`` is the CPU default of ``make study``; ``full`` is the paper's setup.
    ``quick`` and ``full`` train under bf16 autocast, 1.5x faster end to end on a CPU with
    native bf16 (AVX512-BF16 or AMX) and the usual choice on a GPU; smoke stays in fp32.
    """

    name: str
    train_examples: int | None
    dev_examples: int | None
    epochs: int
    batch_size: int
    lr: float
    max_length: int
    precision: str = "fp32"
    eval_batch_size: int = 128


PROFILES = {
    "smoke": Profile("smoke", 32, 32, 1, 16, 5e-5, 32, "fp32"),
    "quick": Profile("quick", 1024, 512, 2, 32, 5e-5, 64, "bf16"),
    # Every training row and the full dev sets at the usual BERT fine-tuning recipe, sized for
    # a CPU: 3 epochs would put its Table 4 at about 3.5 hours of 2-core CPU here, so 2. fp32,
    # because bf16 autocast is emulated (several times slower) on CPUs without AVX512-BF16 or
    # AMX, and committed results must come out the same on any CPU.
    "all-data": Profile("all-data", None, None, 2, 32, 5e-5, 128, "fp32"),
    "full": Profile("full", None, None, 15, 64, 1e-5, 128, "bf16"),
}


def _choose(field_name: str, value: Any, valid: tuple | list) -> None:
    if value not in valid:
        raise ValueError(f"{field_name}={value!r} is not valid; choose one of {list(valid)}")


def _positive(field_name: str, value: float, *, allow_zero: bool = False) -> None:
    # bool is an int subclass and NaN compares False with everything: both would slip through.
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{field_name}={value!r} is not valid; it must be a finite number {bound}")


def _whole(field_name: str, value: int | None, low: int, *, optional: bool = True) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{field_name}={value!r} is not valid; it must be an integer >= {low}")


def _flag(field_name: str, value: bool) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{field_name}={value!r} is not valid; choose one of [True, False]")


@dataclass(frozen=True)
class TaskConfig:
    """How one task is fine-tuned: its head, loss and regularizer.

    ``reg_weight`` is lambda for L2 (``lambda * ||theta||_2``) or lambda_s for SMART.
    """

    head: str
    loss: str
    regularizer: str = "none"
    reg_weight: float = 1.0
    task_weight: float = 1.0  # multiplies the task's loss
    sampler: str = field(default="uniform", metadata=_KEYED_WHEN_SET)

    def validate(self, task: str) -> None:
        _choose(f"tasks.{task}.head", self.head, HEADS[task])
        _choose(f"tasks.{task}.loss", self.loss, LOSSES[(task, self.head)])
        _choose(f"tasks.{task}.regularizer", self.regularizer, REGULARIZERS)
        _positive(f"tasks.{task}.reg_weight", self.reg_weight, allow_zero=True)
        _positive(f"tasks.{task}.task_weight", self.task_weight)
        _choose(f"tasks.{task}.sampler", self.sampler, SAMPLERS)
        if self.sampler == "balanced" and task not in CLASSIFICATION_TASKS:
            raise ValueError(f"tasks.{task}.sampler='balanced' is not valid: {task} has no "
                             f"classes; balance only {list(CLASSIFICATION_TASKS)}")

    def to_dict(self) -> dict[str, Any]:
        return _without_unset_additions(self)


def default_task(task: str) -> TaskConfig:
    """The paper's best single-task choice before regularization: linear SST, CE pair heads."""
    _choose("task", task, TASKS)
    return TaskConfig(head="linear" if task == "sst" else "CE", loss=DEFAULT_LOSS[task])


@dataclass(frozen=True)
class RunConfig:
    """One fine-tuning run, single-task or multitask. Validated on construction.

    ``None`` for ``epochs``, ``batch_size``, ``lr``, ``max_length`` and ``precision`` means
    "take the profile's value"; use :meth:`resolved` to get the numbers a run really uses.
    """

    tasks: dict[str, TaskConfig] = field(default_factory=lambda: {"sst": default_task("sst")})
    profile: str = "quick"
    checkpoint: str = "minilm-l6"
    dropout: float = 0.1
    pooling: str = "cls"
    shared_trunk: bool = False  # the paper's weight sharing: one Linear + ReLU before all heads
    ordering: str = "shuffled"
    ordering_task: str = "sst"  # the favoured task of the ``weighted`` ordering
    ordering_weight: float = 2.0  # its extra sampling weight
    ordering_temperature: float = 2.0  # for ``proportional``
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    max_length: int | None = None
    precision: str | None = None
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    bregman_weight: float = 0.0  # SMART's Bregman proximal point term (EMA teacher); 0 = off
    bucket_by_length: bool = True
    pad_to: int | None = None  # pad every training batch to this length (benchmark baseline)
    seed: int = 0
    # "all": each optimizer step trains one batch of every task (needs round_robin's complete
    # rounds); the gradients are summed, or combined by ``gradient_surgery``.
    tasks_per_step: str = field(default="one", metadata=_KEYED_WHEN_SET)
    gradient_surgery: str = field(default="none", metadata=_KEYED_WHEN_SET)
    # Measure task-gradient cosines at this many evenly spaced points of training (0 = off).
    conflict_probes: int = field(default=0, metadata=_KEYED_WHEN_SET)

    def __post_init__(self) -> None:
        if not isinstance(self.tasks, dict) or not self.tasks:
            raise ValueError(
                f"tasks={self.tasks!r} is not valid; give a non-empty subset of {list(TASKS)}"
            )
        for task, cfg in self.tasks.items():
            _choose("tasks", task, TASKS)
            if not isinstance(cfg, TaskConfig):
                raise ValueError(f"tasks.{task} must be a TaskConfig, not {type(cfg).__name__}")
            cfg.validate(task)
        _choose("profile", self.profile, list(PROFILES))
        if not isinstance(self.checkpoint, str) or not self.checkpoint:
            raise ValueError("checkpoint must be a bundled name, a folder or a hub name")
        _positive("dropout", self.dropout, allow_zero=True)
        if not self.dropout < 1:
            raise ValueError(f"dropout={self.dropout!r} is not valid; it must be in [0, 1)")
        _choose("pooling", self.pooling, POOLINGS)
        _flag("shared_trunk", self.shared_trunk)
        _choose("ordering", self.ordering, ORDERINGS)
        _choose("ordering_task", self.ordering_task, TASKS)
        if self.ordering == "weighted" and self.multitask:  # the favoured task must be trained
            _choose("ordering_task", self.ordering_task, list(self.tasks))
        _positive("ordering_weight", self.ordering_weight)
        _positive("ordering_temperature", self.ordering_temperature)
        for name in ("epochs", "batch_size", "max_length"):
            _whole(name, getattr(self, name), 1)
        _flag("bucket_by_length", self.bucket_by_length)
        if self.pad_to is not None and (isinstance(self.pad_to, bool)
                                        or not isinstance(self.pad_to, int) or self.pad_to < 8):
            raise ValueError(f"pad_to={self.pad_to!r} is not valid; None or an integer >= 8")
        if self.max_length is not None and not 8 <= self.max_length <= 512:
            raise ValueError(f"max_length={self.max_length!r} is not valid; it must be in [8, 512]")
        if self.lr is not None:
            _positive("lr", self.lr)
        if self.precision is not None:
            _choose("precision", self.precision, PRECISIONS)
        _positive("weight_decay", self.weight_decay, allow_zero=True)
        _positive("grad_clip", self.grad_clip, allow_zero=True)
        _positive("bregman_weight", self.bregman_weight, allow_zero=True)
        _whole("seed", self.seed, 0, optional=False)
        self._validate_multitask_steps()

    def _validate_multitask_steps(self) -> None:
        _choose("tasks_per_step", self.tasks_per_step, TASKS_PER_STEP)
        if self.tasks_per_step == "all" and self.ordering != "round_robin":
            raise ValueError(f"tasks_per_step='all' is not valid with ordering={self.ordering!r}:"
                             " it needs complete rounds of one batch per task; use "
                             "ordering='round_robin'")
        _choose("gradient_surgery", self.gradient_surgery, GRADIENT_SURGERIES)
        if self.gradient_surgery != "none" and (self.tasks_per_step != "all" or not self.multitask):
            raise ValueError(f"gradient_surgery={self.gradient_surgery!r} is not valid here: it "
                             "combines several tasks' gradients in one step, so it needs two or "
                             "more tasks and tasks_per_step='all'")
        if (isinstance(self.conflict_probes, bool) or not isinstance(self.conflict_probes, int)
                or self.conflict_probes < 0):
            raise ValueError(f"conflict_probes={self.conflict_probes!r} is not valid; it must be "
                             "an integer >= 0")
        if self.conflict_probes and not self.multitask:
            raise ValueError("conflict_probes needs two or more tasks (it compares their "
                             "gradients)")

    @property
    def multitask(self) -> bool:
        return len(self.tasks) > 1

    def resolved(self) -> RunConfig:
        """The same config with every ``None`` replaced by the profile's value."""
        p = PROFILES[self.profile]
        return dataclasses.replace(
            self,
            epochs=self.epochs or p.epochs,
            batch_size=self.batch_size or p.batch_size,
            lr=self.lr or p.lr,
            max_length=self.max_length or p.max_length,
            precision=self.precision or p.precision,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values; fields added later are left out while at their default."""
        d = _without_unset_additions(self)
        d["tasks"] = {t: c.to_dict() for t, c in self.tasks.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        d = dict(d)
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown RunConfig fields {sorted(unknown)}")
        tasks = d.pop("tasks", None)
        if tasks is not None:
            d["tasks"] = {t: _task_from_dict(t, c) for t, c in tasks.items()}
        return cls(**d)

    def digest(self) -> str:
        """A stable hash of the resolved config, for cache keys."""
        text = json.dumps(self.resolved().to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _task_from_dict(task: str, d: dict[str, Any]) -> TaskConfig:
    names = [f.name for f in dataclasses.fields(TaskConfig)]
    if not isinstance(d, dict) or not set(d) <= set(names) or not {"head", "loss"} <= set(d):
        raise ValueError(f"tasks.{task}={d!r} is not valid; give head and loss, and optionally"
                         f" {names[2:]}")
    return TaskConfig(**d)


def _without_unset_additions(config: Any) -> dict[str, Any]:
    """``dataclasses.asdict`` minus the ``_KEYED_WHEN_SET`` fields that hold their default."""
    d = dataclasses.asdict(config)
    for f in dataclasses.fields(config):
        if f.metadata.get("key_when_default") is False and d[f.name] == f.default:
            del d[f.name]
    return d
