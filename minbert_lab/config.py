"""The study's vocabulary: tasks, heads, losses, regularizers, orderings, RunConfig.

The profiles a run's sizes and recipe come from are in ``profiles.py``.

Everything that can be chosen is named here once; every invalid value raises ``ValueError``
naming the field and the valid choices, before any data is read or any model is built.

Heads and losses have descriptive names (``cross_encoder``, ``cross_entropy``); the paper's
short labels (``CE``, ``S-CD``, ``ce`` ...) are accepted as aliases wherever a name is read, and
``HEAD_LABELS`` / ``LOSS_LABELS`` give the labels tables print.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from minbert_lab.checkpoints import DEFAULT_CHECKPOINT
from minbert_lab.config_checks import choose, flag, positive, whole
from minbert_lab.profiles import PROFILES

TASKS = ("sst", "para", "sts")
TASK_TITLES = {"sst": "SST-5 sentiment", "para": "Quora paraphrase", "sts": "STS-B similarity"}
# Classes of each classification task (the label is the class index); STS is a 0-5 regression.
NUM_CLASSES = {"sst": 5, "para": 2}
CLASSIFICATION_TASKS = tuple(NUM_CLASSES)

# Heads, by name, with the paper's label for each.
HEAD_LABELS = {
    "linear": "linear",
    "siamese_concat_diff": "S-CD",  # Siamese, [u, v, |u - v|] -> score
    "siamese_cosine": "S-CS",  # Siamese, cos(u, v)
    "cross_encoder": "CE",  # [CLS] a [SEP] b [SEP] -> score
    # ours: the pretrained cosine of the two sentences plus a cross-encoder's correction
    "cross_encoder_cosine": "CE+CS",
}
SST_HEADS = ("linear",)
PAIR_HEADS = ("siamese_concat_diff", "siamese_cosine", "cross_encoder", "cross_encoder_cosine")
HEADS = {"sst": SST_HEADS, "para": PAIR_HEADS, "sts": PAIR_HEADS}

LOSS_LABELS = {
    "cross_entropy": "CE loss",
    "weighted_cross_entropy": "class-weighted CE",
    "bce": "BCE",
    "mse": "MSE",
    "mnr": "MNR",  # Multiple Negatives Ranking
    "cosine_embedding": "cosine embedding",
}
# Which loss fits which (task, head): MNR and the cosine embedding loss need two sentence
# embeddings, so they exist only for Siamese heads.
LOSSES = {
    ("sst", "linear"): ("cross_entropy", "weighted_cross_entropy"),
    ("para", "siamese_concat_diff"): ("bce", "mnr"),
    ("para", "siamese_cosine"): ("bce", "cosine_embedding", "mnr"),
    ("para", "cross_encoder"): ("bce",),
    ("sts", "siamese_concat_diff"): ("mse",),
    ("sts", "siamese_cosine"): ("mse", "cosine_embedding"),
    ("sts", "cross_encoder"): ("mse",),
    ("para", "cross_encoder_cosine"): ("bce",),
    ("sts", "cross_encoder_cosine"): ("mse",),
}
DEFAULT_LOSS = {"sst": "cross_entropy", "para": "bce", "sts": "mse"}
# The paper's short spellings (and this lab's first ones), accepted wherever a name is read.
HEAD_ALIASES = {"S-CD": "siamese_concat_diff", "S-CS": "siamese_cosine", "CE": "cross_encoder",
                "CE+CS": "cross_encoder_cosine"}
LOSS_ALIASES = {"ce": "cross_entropy", "weighted_ce": "weighted_cross_entropy",
                "cos_emb": "cosine_embedding"}

# R-Drop (Liang et al., 2021): a second forward pass with other dropout masks, kept close to the
# first by the same divergence SMART uses.
REGULARIZERS = ("none", "l2", "smart", "rdrop")
ORDERINGS = ("sequential", "shuffled", "weighted", "proportional", "round_robin")
POOLINGS = ("cls", "mean")
# How a Siamese head's shared projection starts: random (the paper's), or as the identity, so
# that a fresh Siamese cosine head scores exactly the pretrained embeddings' cosine.
PAIR_PROJECTIONS = ("random", "identity")
# fp32, or bf16 autocast (matmuls in bf16; losses, reductions and the optimizer in fp32).
PRECISIONS = ("fp32", "bf16")
# How a task's training examples are drawn each pass: as they come (shuffled), or resampled so
# every class is equally likely (classification tasks only; see training/sampling.py).
SAMPLERS = ("uniform", "balanced")
# One optimizer step per task batch, or one step per round of one batch from every task.
TASKS_PER_STEP = ("one", "all")
# How an all-tasks step combines the task gradients: summed, or PCGrad (training/surgery.py).
GRADIENT_SURGERIES = ("none", "pcgrad")
# The learning rate over a run: constant (the paper), or linear warmup then linear decay to 0.
LR_SCHEDULES = ("constant", "linear")
# Which tasks learn from single-task teachers (RunConfig.distill): none, SST only, or all.
DISTILLS = ("none", "sst", "all")
# The losses that take a distribution as target (label smoothing, a teacher's soft labels).
SOFT_TARGET_LOSSES = ("cross_entropy",)
# The losses a teacher's outputs can be mixed into: a class distribution, a probability, a rating.
DISTILLABLE_LOSSES = ("cross_entropy", "bce", "mse")


def head_name(name: str) -> str:
    """The head ``name`` names, with the paper's labels (``CE``, ``S-CD``, ``S-CS``) accepted."""
    return HEAD_ALIASES.get(name, name)


def loss_name(name: str) -> str:
    """The loss ``name`` names, with the short spellings (``ce``, ``cos_emb`` ...) accepted."""
    return LOSS_ALIASES.get(name, name)


@dataclass(frozen=True)
class TaskConfig:
    """How one task is fine-tuned: its head, loss and regularizer.

    ``head`` and ``loss`` accept the paper's labels as aliases (``TaskConfig("CE", "bce")``);
    they are stored under their full names. ``reg_weight`` is lambda for L2
    (``lambda * ||theta||_2``) or lambda_s for SMART.
    """

    head: str
    loss: str
    regularizer: str = "none"
    reg_weight: float = 1.0
    task_weight: float = 1.0  # multiplies the task's loss
    sampler: str = "uniform"
    # Cross-entropy only: the target puts this much mass on the other classes, evenly.
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.head, str):
            object.__setattr__(self, "head", head_name(self.head))
        if isinstance(self.loss, str):
            object.__setattr__(self, "loss", loss_name(self.loss))

    def validate(self, task: str) -> None:
        choose(f"tasks.{task}.head", self.head, HEADS[task], HEAD_LABELS)
        choose(f"tasks.{task}.loss", self.loss, LOSSES[(task, self.head)], LOSS_LABELS)
        choose(f"tasks.{task}.regularizer", self.regularizer, REGULARIZERS)
        positive(f"tasks.{task}.reg_weight", self.reg_weight, allow_zero=True)
        positive(f"tasks.{task}.task_weight", self.task_weight)
        choose(f"tasks.{task}.sampler", self.sampler, SAMPLERS)
        if self.sampler == "balanced" and task not in CLASSIFICATION_TASKS:
            raise ValueError(f"tasks.{task}.sampler='balanced' is not valid: {task} has no "
                             f"classes; balance only {list(CLASSIFICATION_TASKS)}")
        positive(f"tasks.{task}.label_smoothing", self.label_smoothing, allow_zero=True)
        if not self.label_smoothing < 1:
            raise ValueError(f"tasks.{task}.label_smoothing={self.label_smoothing!r} is not "
                             "valid; it must be in [0, 1)")
        if self.label_smoothing and self.loss not in SOFT_TARGET_LOSSES:
            raise ValueError(f"tasks.{task}.label_smoothing needs a cross-entropy loss "
                             f"{list(SOFT_TARGET_LOSSES)}, not {self.loss!r}")

    @property
    def label(self) -> str:
        """The paper's way to name it: ``"CE + BCE"``."""
        return f"{HEAD_LABELS[self.head]} + {LOSS_LABELS[self.loss]}"


def default_task(task: str) -> TaskConfig:
    """The paper's best single-task choice before regularization: linear SST, CE pair heads."""
    choose("task", task, TASKS)
    return TaskConfig(head="linear" if task == "sst" else "cross_encoder",
                      loss=DEFAULT_LOSS[task])


@dataclass(frozen=True)
class Ordering:
    """Which task's batch each multitask step trains (see ``training/ordering.py``).

    ``task`` and ``weight`` tune ``weighted`` (the favoured task and its extra sampling
    weight); ``temperature`` tunes ``proportional``. The others ignore them.
    """

    name: str = "shuffled"
    task: str = "sst"
    weight: float = 2.0
    temperature: float = 2.0

    def validate(self) -> None:
        choose("ordering", self.name, ORDERINGS)
        choose("ordering.task", self.task, TASKS)
        positive("ordering.weight", self.weight)
        positive("ordering.temperature", self.temperature)


@dataclass(frozen=True)
class RunConfig:
    """One fine-tuning run, single-task or multitask. Validated on construction.

    ``None`` for ``epochs``, ``batch_size``, ``lr``, ``max_length`` and ``precision`` means
    "take the profile's value"; use :meth:`resolved` to get the numbers a run really uses.
    ``ordering`` takes an :class:`Ordering` or just its name (``ordering="sequential"``).
    ``checkpoint`` is the pretrained model the run starts from: a bundled name, a local folder
    or a hub name (``checkpoints.resolve_checkpoint``).
    """

    tasks: dict[str, TaskConfig] = field(default_factory=lambda: {"sst": default_task("sst")})
    profile: str = "quick"
    checkpoint: str = DEFAULT_CHECKPOINT
    dropout: float = 0.1
    pooling: str = "cls"
    shared_trunk: bool = False  # the paper's weight sharing: one Linear + ReLU before all heads
    pair_projection: str = "random"
    ordering: Ordering = field(default_factory=Ordering)
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    max_length: int | None = None
    precision: str | None = None
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    # Recipe levers (training/optim.py): the learning-rate schedule, its warmup share of the
    # run's steps, and layer-wise decay (1 = every layer at ``lr``).
    lr_schedule: str = "constant"
    warmup_ratio: float = 0.0
    layer_lr_decay: float = 1.0
    bregman_weight: float = 0.0  # SMART's Bregman proximal point term (EMA teacher); 0 = off
    bucket_by_length: bool = True
    seed: int = 0
    # "all": each optimizer step trains one batch of every task (needs round_robin's complete
    # rounds); the gradients are summed, or combined by ``gradient_surgery``.
    tasks_per_step: str = "one"
    gradient_surgery: str = "none"
    # Measure task-gradient cosines at this many evenly spaced points of training (0 = off).
    conflict_probes: int = 0
    # Teacher annealing (Clark et al. 2019, "BAM!"): these tasks train on targets that mix the
    # gold label (weight lambda, 0 -> 1 over the run) with the single-task teacher's output on
    # the training example (1 - lambda). The teachers are the recipe trained on one task at a
    # time, same seed (``experiments.recipe.fair_single_task_config``), stored with
    # ``train_outputs``.
    distill: str = "none"
    # A task that gets its own copy of the encoder's top layer (from the checkpoint's), so the
    # other tasks' updates there do not reach it.
    private_top_layer: str = "none"
    # Also store the trained model's outputs on its training set (a teacher's soft labels).
    train_outputs: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.ordering, str):
            object.__setattr__(self, "ordering", Ordering(self.ordering))
        if not isinstance(self.tasks, dict) or not self.tasks:
            raise ValueError(
                f"tasks={self.tasks!r} is not valid; give a non-empty subset of {list(TASKS)}"
            )
        for task, cfg in self.tasks.items():
            choose("tasks", task, TASKS)
            if not isinstance(cfg, TaskConfig):
                raise ValueError(f"tasks.{task} must be a TaskConfig, not {type(cfg).__name__}")
            cfg.validate(task)
        choose("profile", self.profile, list(PROFILES))
        if not isinstance(self.checkpoint, str) or not self.checkpoint:
            raise ValueError("checkpoint must be a bundled name, a folder or a hub name")
        positive("dropout", self.dropout, allow_zero=True)
        if not self.dropout < 1:
            raise ValueError(f"dropout={self.dropout!r} is not valid; it must be in [0, 1)")
        choose("pooling", self.pooling, POOLINGS)
        choose("pair_projection", self.pair_projection, PAIR_PROJECTIONS)
        flag("shared_trunk", self.shared_trunk)
        self._validate_ordering()
        for name in ("epochs", "batch_size", "max_length"):
            whole(name, getattr(self, name), 1)
        flag("bucket_by_length", self.bucket_by_length)
        if self.max_length is not None and not 8 <= self.max_length <= 512:
            raise ValueError(f"max_length={self.max_length!r} is not valid; it must be in [8, 512]")
        if self.lr is not None:
            positive("lr", self.lr)
        if self.precision is not None:
            choose("precision", self.precision, PRECISIONS)
        positive("weight_decay", self.weight_decay, allow_zero=True)
        positive("grad_clip", self.grad_clip, allow_zero=True)
        self._validate_schedule()
        positive("bregman_weight", self.bregman_weight, allow_zero=True)
        whole("seed", self.seed, 0, optional=False)
        self._validate_multitask_steps()
        self._validate_task_levers()

    def _validate_task_levers(self) -> None:
        choose("distill", self.distill, DISTILLS)
        if self.distill != "none" and (not self.multitask or (
                self.distill in TASKS and self.distill not in self.tasks)):
            raise ValueError(f"distill={self.distill!r} is not valid here: it distils "
                             "single-task teachers into a multitask run that trains "
                             f"{'that task' if self.distill in TASKS else 'several tasks'}")
        for task in ([] if self.distill == "none" else list(self.tasks) if self.distill == "all"
                     else [self.distill]):
            loss = self.tasks[task].loss
            if loss not in DISTILLABLE_LOSSES:
                raise ValueError(f"distill={self.distill!r} is not valid with tasks.{task}.loss="
                                 f"{loss!r}: a teacher's soft targets fit "
                                 f"{list(DISTILLABLE_LOSSES)}")
        choose("private_top_layer", self.private_top_layer, ("none", *self.tasks))
        flag("train_outputs", self.train_outputs)

    def _validate_schedule(self) -> None:
        choose("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        positive("warmup_ratio", self.warmup_ratio, allow_zero=True)
        if not self.warmup_ratio < 1:
            raise ValueError(f"warmup_ratio={self.warmup_ratio!r} is not valid; it must be in "
                             "[0, 1)")
        if self.warmup_ratio and self.lr_schedule == "constant":
            raise ValueError("warmup_ratio needs lr_schedule='linear' (a constant rate has no "
                             "warmup)")
        positive("layer_lr_decay", self.layer_lr_decay)
        if not self.layer_lr_decay <= 1:
            raise ValueError(f"layer_lr_decay={self.layer_lr_decay!r} is not valid; it must be "
                             "in (0, 1]")

    def _validate_ordering(self) -> None:
        if not isinstance(self.ordering, Ordering):
            raise ValueError(f"ordering={self.ordering!r} is not valid; give an Ordering or one "
                             f"of {list(ORDERINGS)}")
        self.ordering.validate()
        if self.ordering.name == "weighted" and self.multitask:  # the favoured task must train
            choose("ordering.task", self.ordering.task, list(self.tasks))

    def _validate_multitask_steps(self) -> None:
        choose("tasks_per_step", self.tasks_per_step, TASKS_PER_STEP)
        if self.tasks_per_step == "all" and self.ordering.name != "round_robin":
            raise ValueError(f"tasks_per_step='all' is not valid with ordering="
                             f"{self.ordering.name!r}: it needs complete rounds of one batch "
                             "per task; use ordering='round_robin'")
        choose("gradient_surgery", self.gradient_surgery, GRADIENT_SURGERIES)
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
        """Plain JSON-ready values (``ordering`` and each task as nested dicts)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        """The config :meth:`to_dict` wrote; also reads the flat ``ordering_*`` fields and
        short names of results stored before they were renamed."""
        d = dict(d)
        ordering = d.pop("ordering", "shuffled")
        legacy = {k: d.pop(f"ordering_{k}") for k in ("task", "weight", "temperature")
                  if f"ordering_{k}" in d}
        d.pop("pad_to", None)  # a benchmark knob that once lived here; it never held a value
        if isinstance(ordering, str):
            ordering = {"name": ordering, **legacy}
        if not isinstance(ordering, dict) or not set(ordering) <= _field_names(Ordering):
            raise ValueError(f"ordering={ordering!r} is not valid; give name, and optionally "
                             "task, weight, temperature")
        unknown = set(d) - _field_names(cls)
        if unknown:
            raise ValueError(f"unknown RunConfig fields {sorted(unknown)}")
        tasks = d.pop("tasks", None)
        if tasks is not None:
            d["tasks"] = {t: _task_from_dict(t, c) for t, c in tasks.items()}
        return cls(ordering=Ordering(**ordering), **d)


def _field_names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _task_from_dict(task: str, d: dict[str, Any]) -> TaskConfig:
    names = [f.name for f in dataclasses.fields(TaskConfig)]
    if not isinstance(d, dict) or not set(d) <= set(names) or not {"head", "loss"} <= set(d):
        raise ValueError(f"tasks.{task}={d!r} is not valid; give head and loss, and optionally"
                         f" {names[2:]}")
    return TaskConfig(**d)
