"""Multitask batch orderings: which task's batch is trained at each step of an epoch.

An ordering is given how many batches each task has per epoch, e.g.
``{"sst": 34, "para": 504, "sts": 189}``, and answers ``order(epoch)``: the task names in the
order their batches are trained. It never touches a batch; the training loop keeps one
:class:`~minbert_lab.training.task_batches.CyclingBatches` per task and asks it for the next
batch of whichever task the ordering names. A task whose batches run out simply
starts a new (reshuffled) pass, so orderings that draw a task more often than it has batches
(``weighted``, ``proportional``, ``round_robin``) re-use its batches instead of stopping.

Random orderings are seeded with ``seed + epoch`` (the sentence-transformers habit): each epoch
differs, and rerunning a config repeats every epoch exactly.

Example:
    >>> order = make_task_order("shuffled", {"sst": 2, "para": 3}, seed=0)
    >>> sorted(order.order(epoch=0))
    ['para', 'para', 'para', 'sst', 'sst']
    >>> order.counts(epoch=0)
    {'sst': 2, 'para': 3}
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod

import pandas as pd

from minbert_lab.config import ORDERINGS
from minbert_lab.config_checks import positive


class TaskOrder(ABC):
    """The shared shape of every ordering: ``order``, ``composition`` and ``counts`` per epoch.

    Args:
        n_batches: batches per epoch of each task, in the order tasks are listed everywhere
            (plots, counts, the sequential and round-robin orders).
    """

    name: str = ""

    def __init__(self, n_batches: dict[str, int]) -> None:
        self.n_batches = _validated(n_batches)
        self.tasks = tuple(self.n_batches)

    @classmethod
    def from_knobs(cls, n_batches: dict[str, int], *, seed: int, task: str, weight: float,
                   temperature: float) -> TaskOrder:
        """Built by name (``make_task_order``) from every ordering knob; each ordering takes the
        ones it uses (these two: none)."""
        return cls(n_batches)

    @property
    def steps_per_epoch(self) -> int:
        """Optimizer steps in one epoch (what a learning-rate schedule needs)."""
        return sum(self.n_batches.values())

    @abstractmethod
    def order(self, epoch: int) -> list[str]:
        """The task trained at each step of ``epoch``."""

    def composition(self, epoch: int) -> pd.DataFrame:
        """``order(epoch)`` as a table with columns ``step`` (0-based) and ``task``."""
        tasks = self.order(epoch)
        return pd.DataFrame({"step": range(len(tasks)), "task": tasks})

    def counts(self, epoch: int) -> dict[str, int]:
        """How many batches of each task ``epoch`` trains (0 for a task never drawn)."""
        counts = dict.fromkeys(self.tasks, 0)
        for task in self.order(epoch):
            counts[task] += 1
        return counts

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.n_batches})"


class SequentialTaskOrder(TaskOrder):
    """All batches of the first task, then all of the second, ... every epoch.

    The paper's naive baseline; it makes each epoch drift towards one task at a time.
    """

    name = "sequential"

    def order(self, epoch: int) -> list[str]:
        return [task for task, n in self.n_batches.items() for _ in range(n)]


class ShuffledTaskOrder(TaskOrder):
    """Every batch of every task exactly once, in one seeded random order per epoch.

    The paper's best ordering: each task's updates are spread thinly among the others'.
    """

    name = "shuffled"

    @classmethod
    def from_knobs(cls, n_batches: dict[str, int], *, seed: int, task: str, weight: float,
                   temperature: float) -> ShuffledTaskOrder:
        return cls(n_batches, seed=seed)

    def __init__(self, n_batches: dict[str, int], *, seed: int = 0) -> None:
        super().__init__(n_batches)
        self.seed = seed

    def order(self, epoch: int) -> list[str]:
        tasks = [task for task, n in self.n_batches.items() for _ in range(n)]
        random.Random(self.seed + epoch).shuffle(tasks)
        return tasks


class _SampledTaskOrder(TaskOrder):
    """Each step draws a task independently with fixed probabilities; as many steps as shuffled.

    Keeping the step count of ``shuffled`` makes orderings comparable at equal compute; only
    the mix of tasks changes. Independent draws mean an epoch's counts vary around their
    expectation, and a task drawn more often than it has batches re-uses them (cycles).
    """

    seed: int

    @abstractmethod
    def weights(self) -> dict[str, float]:
        """Unnormalised sampling weight of each task."""

    def probabilities(self) -> dict[str, float]:
        """The probability of drawing each task at any one step."""
        weights = self.weights()
        total = sum(weights.values())
        return {task: w / total for task, w in weights.items()}

    def order(self, epoch: int) -> list[str]:
        weights = self.weights()
        rng = random.Random(self.seed + epoch)
        return rng.choices(list(weights), weights=list(weights.values()), k=self.steps_per_epoch)


class WeightedTaskOrder(_SampledTaskOrder):
    """Like ``shuffled`` in expectation, with extra probability for one favoured task.

    Each step draws task ``t`` with probability proportional to
    ``n_batches[t] * (weight if t == task else 1)``; ``weight=1`` is ``shuffled`` in
    expectation. The paper used it to give SST "extra training".

    ``task`` must be one of the run's tasks, except in a single-task run, where the only task
    is always drawn and the weight cannot matter (so the config default ``"sst"`` is fine there).
    """

    name = "weighted"

    @classmethod
    def from_knobs(cls, n_batches: dict[str, int], *, seed: int, task: str, weight: float,
                   temperature: float) -> WeightedTaskOrder:
        return cls(n_batches, seed=seed, task=task, weight=weight)

    def __init__(
        self, n_batches: dict[str, int], *, seed: int = 0, task: str = "sst", weight: float = 2.0
    ) -> None:
        super().__init__(n_batches)
        if len(self.tasks) > 1 and task not in self.tasks:
            raise ValueError(f"task={task!r} is not valid; choose one of {list(self.tasks)}")
        positive("weight", weight)
        self.seed, self.task, self.weight = seed, task, weight

    def weights(self) -> dict[str, float]:
        return {t: n * (self.weight if t == self.task else 1.0) for t, n in self.n_batches.items()}


class ProportionalTaskOrder(_SampledTaskOrder):
    """Temperature sampling: each step draws task ``t`` with probability ∝ ``n_t ** (1/T)``.

    ``temperature=1`` is proportional to task size (``shuffled`` in expectation); larger
    temperatures flatten towards uniform, so small tasks are seen more often.
    """

    name = "proportional"

    @classmethod
    def from_knobs(cls, n_batches: dict[str, int], *, seed: int, task: str, weight: float,
                   temperature: float) -> ProportionalTaskOrder:
        return cls(n_batches, seed=seed, temperature=temperature)

    def __init__(
        self, n_batches: dict[str, int], *, seed: int = 0, temperature: float = 2.0
    ) -> None:
        super().__init__(n_batches)
        positive("temperature", temperature)
        self.seed, self.temperature = seed, temperature

    def weights(self) -> dict[str, float]:
        return {t: n ** (1.0 / self.temperature) for t, n in self.n_batches.items()}


class RoundRobinTaskOrder(TaskOrder):
    """One batch of each task per round, in the given task order: sst, para, sts, sst, ...

    An epoch is ``ceil(sum(n_batches) / n_tasks)`` rounds: the step budget of ``shuffled``
    rounded up to whole rounds (at most ``n_tasks - 1`` extra steps), so orderings compare at
    equal compute and every round is complete (which gradient surgery needs: one batch per task
    per update). ``n_tasks * max(n_t)`` rounds would multiply the epoch and over-train small
    tasks; ``min(n_t)`` rounds would leave most of the large tasks unseen. With equal rounds,
    each task gets the same number of batches: small tasks cycle their batches several times
    per epoch, large ones see only part of theirs (a fresh, reshuffled part each epoch).
    """

    name = "round_robin"

    @property
    def rounds_per_epoch(self) -> int:
        return math.ceil(sum(self.n_batches.values()) / len(self.tasks))

    @property
    def steps_per_epoch(self) -> int:
        return self.rounds_per_epoch * len(self.tasks)

    def order(self, epoch: int) -> list[str]:
        return list(self.tasks) * self.rounds_per_epoch


# Every ordering by its config name (``config.ORDERINGS``); ``tests/training/test_ordering.py``
# checks that each name the config lists builds its own class.
ORDER_CLASSES: dict[str, type[TaskOrder]] = {
    "sequential": SequentialTaskOrder,
    "shuffled": ShuffledTaskOrder,
    "weighted": WeightedTaskOrder,
    "proportional": ProportionalTaskOrder,
    "round_robin": RoundRobinTaskOrder,
}


def make_task_order(
    name: str,
    n_batches: dict[str, int],
    *,
    seed: int = 0,
    task: str = "sst",
    weight: float = 2.0,
    temperature: float = 2.0,
) -> TaskOrder:
    """Build the ordering called ``name`` (one of ``config.ORDERINGS``).

    Knobs an ordering does not use are ignored, so a ``RunConfig`` can pass all of them.

    Example:
        >>> make_task_order("round_robin", {"sst": 1, "para": 2}).order(epoch=0)
        ['sst', 'para', 'sst', 'para']
    """
    if name not in ORDERINGS:
        raise ValueError(f"ordering={name!r} is not valid; choose one of {list(ORDERINGS)}")
    return ORDER_CLASSES[name].from_knobs(n_batches, seed=seed, task=task, weight=weight,
                                          temperature=temperature)


def step_tasks(
    ordering: TaskOrder, epoch: int, tasks_per_step: str = "one"
) -> list[tuple[str, ...]]:
    """The tasks each optimizer step of ``epoch`` trains together.

    ``"one"``: one task per step, ``ordering.order(epoch)`` as 1-tuples. ``"all"``: one batch of
    every task per step, which only round robin's complete rounds provide; each round becomes
    one step (what gradient surgery combines).

    Example:
        >>> step_tasks(make_task_order("round_robin", {"sst": 1, "para": 2}), 0, "all")
        [('sst', 'para'), ('sst', 'para')]
    """
    order = ordering.order(epoch)
    if tasks_per_step == "one":
        return [(task,) for task in order]
    if tasks_per_step != "all":
        raise ValueError(f"tasks_per_step={tasks_per_step!r} is not valid; choose 'one' or 'all'")
    if not isinstance(ordering, RoundRobinTaskOrder):
        raise ValueError(f"tasks_per_step='all' needs round_robin's complete rounds, not the "
                         f"{ordering.name!r} ordering")
    width = len(ordering.tasks)
    return [tuple(order[i : i + width]) for i in range(0, len(order), width)]


def compositions(
    n_batches: dict[str, int], *, epoch: int = 0, seed: int = 0, **knobs: float | str
) -> dict[str, pd.DataFrame]:
    """Every ordering's ``composition(epoch)``, keyed by name: the input of Figure 2's plot."""
    return {
        name: make_task_order(name, n_batches, seed=seed, **knobs).composition(epoch)
        for name in ORDERINGS
    }


def _validated(n_batches: dict[str, int]) -> dict[str, int]:
    if not isinstance(n_batches, dict) or not n_batches:
        raise ValueError(
            f"n_batches={n_batches!r} is not valid; give batches per task, e.g. "
            "{'sst': 34, 'para': 504}"
        )
    for task, n in n_batches.items():
        if not isinstance(task, str) or not task:
            raise ValueError(f"n_batches has task {task!r}; task names must be non-empty strings")
        # bool is an int subclass; True batches is a bug, not a count.
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n_batches[{task!r}]={n!r} is not valid; it must be an integer >= 1")
    return dict(n_batches)
