"""One task's endless stream of batches: a new, reshuffled pass whenever the last one runs out.

The training loop keeps one :class:`CyclingBatches` per task and takes the next batch of
whichever task the ordering names. Orderings that draw a task more often than it has batches
(weighted, proportional, round robin) therefore re-use its batches rather than stop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class CyclingBatches(Generic[T]):
    """Hands out a task's batches one at a time, forever.

    Args:
        make_batches: builds the batches of pass ``k`` when given ``k`` (0, 1, 2, ...), so a
            sampler can reshuffle each pass with its own seed, e.g. ``seed + k``.

    Example:
        >>> stream = CyclingBatches(make_batches=lambda k: [f"p{k}b0", f"p{k}b1"])
        >>> [next(stream) for _ in range(3)]
        ['p0b0', 'p0b1', 'p1b0']
    """

    def __init__(self, make_batches: Callable[[int], list[T]]) -> None:
        self.make_batches = make_batches
        self.pass_index = -1  # no pass started until the first batch is asked for
        self.position = 0  # index of the next batch within the current pass
        self._batches: list[T] = []

    def __iter__(self) -> CyclingBatches[T]:
        return self

    def next(self) -> T:
        """The next batch (same as ``next(stream)``)."""
        return self.__next__()

    def __next__(self) -> T:
        if self.position >= len(self._batches):
            self.pass_index += 1
            self._batches = list(self.make_batches(self.pass_index))
            self.position = 0
            if not self._batches:  # an empty pass would loop forever
                raise ValueError(f"make_batches({self.pass_index}) returned no batches")
        batch = self._batches[self.position]
        self.position += 1
        return batch

    def state_dict(self) -> dict[str, int]:
        """Where the stream stands: the pass in progress and the next batch's index in it."""
        return {"pass_index": self.pass_index, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Continues from a :meth:`state_dict`: rebuilds that pass's batches, trains none.

        Passes are seeded by their index, so the rebuilt pass is the one the stream was in.
        """
        self.pass_index, self.position = int(state["pass_index"]), int(state["position"])
        self._batches = list(self.make_batches(self.pass_index)) if self.pass_index >= 0 else []
