"""``run_or_load``: a run's stored result, trained first when there is none.

Where results live, how they are keyed and locked is ``experiments.store`` (``RunStore``); this
module trains what the store lacks, keeps a resume state while it trains (a killed or
interrupted run continues from it), says on stderr when a run starts and ends, and, under
``torchrun``, lets rank 0 alone read and write the store.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

from minbert_lab.config import RunConfig
from minbert_lab.data.splits import DATA_DIR
from minbert_lab.durations import duration
from minbert_lab.experiments.committed import RESULTS_DIR
from minbert_lab.experiments.recipe import teacher_configs
from minbert_lab.experiments.store import RUNS_DIR, RunStore
from minbert_lab.training.distributed import (
    World,
    barrier,
    broadcast,
    current_world,
    device_for,
    start,
)

# Keys of the runs a labelled call already announced in this process: a notebook loads the runs
# of a table it just trained again to read them, and one line per run is enough.
_ANNOUNCED: set[str] = set()


def run_or_load(config: RunConfig, *, data_dir: Path | str = DATA_DIR,
                runs_dir: Path | str = RUNS_DIR, results_dir: Path | str = RESULTS_DIR,
                retrain: bool = False, progress: bool = True, device: str | None = None,
                resume_every: int | None = None, label: str | None = None,
                save_model: Path | str | None = None) -> dict:
    """Returns the stored result of ``config``, training it first if there is none.

    Looks in the committed results (``results_dir``, see ``experiments.committed``), then in
    the run cache (``runs_dir``). Training keeps a resume state beside the result, so a run
    that was killed or interrupted continues where it was saved and ends with the same result
    as an uninterrupted one. A run of a committed profile (``all-data``, ``full``) is also
    written, slim, to ``results_dir``, and is returned in that slim form however it was found.

    Args:
        retrain: train again even if a result is stored (and replace it).
        resume_every: steps between saves of the resume state; ``None``: every few minutes.
            It does not change the result, so it is not part of the cache key.
        label: names the run in a line on stderr when it starts and when it ends.
        save_model: also keep the trained model in this folder (``training.saved_model``).
            A stored result holds no weights, so unless the folder already holds this run's
            model, the run is trained again (CPU: to the same result) and says so.

    Under ``torchrun`` every rank calls this; rank 0 alone reads and writes the stores and
    tells the others whether to train (``training.distributed``).

    Returns:
        The result; it has ``cached: True`` when it came from disk.
    """
    world = current_world()
    start(world, device_for(world, device))
    store = RunStore(data_dir, runs_dir, results_dir)
    key = store.key(config)
    say = _announcer(label if world.main else None, key)
    if save_model is not None and not _holds_model(save_model, key):
        if not retrain and store.has(config):
            say(f"the stored result has no weights; training again to save the model to "
                f"{save_model}")
        retrain = True

    def stored_result() -> tuple[dict, str] | None:
        found = None if retrain or not world.main else store.find(config)
        return broadcast(found, world)

    if (stored := stored_result()) is not None:
        if key not in _ANNOUNCED:
            say(f"loaded from {stored[1]}")
        return {**stored[0], "cached": True}
    lock = store.lock(config) if world.main else contextlib.nullcontext(False)
    with lock:
        # Checked again under the lock: another process may have stored it meanwhile.
        if (stored := stored_result()) is not None:
            say("loaded from the run cache (another process trained it)")
            return {**stored[0], "cached": True}
        teachers = {}
        for task, teacher in teacher_configs(config).items():
            stored = run_or_load(teacher, data_dir=data_dir, runs_dir=runs_dir,
                                 results_dir=results_dir, progress=progress, device=device,
                                 label=label and f"{task} teacher of {label}")
            # rank 0 holds the stored outputs; the other ranks' records have none
            teachers[task] = broadcast(stored["train_outputs"][task] if world.main else None,
                                       world)
        result = _train_announced(config, store, world, say, data_dir=data_dir,
                                  progress=progress, device=device, resume_every=resume_every,
                                  model_dir=save_model, model_key=key, teachers=teachers)
    return {**result, "cached": False}


def _train_announced(config: RunConfig, store: RunStore, world: World, say, **kwargs) -> dict:
    """``_train``, with a line on stderr when it starts and when it ends."""
    resolved = config.resolved()
    say(f"training ({resolved.profile} profile, {resolved.epochs} epoch"
        f"{'s' if resolved.epochs > 1 else ''})...")
    started = time.perf_counter()
    result = _train(config, store, world, **kwargs)
    saved = _holds_model(kwargs["model_dir"], store.key(config))
    say(f"trained in {duration(time.perf_counter() - started)}, dev score "
        f"{result['metrics']['score']:.3f}"
        + (f"; model saved to {kwargs['model_dir']}" if saved else ""))
    return result


def _announcer(label: str | None, key: str):
    """A function that writes ``<label>: <text>`` to stderr (nothing without a label) and
    remembers that run ``key`` was announced."""
    def say(text: str) -> None:
        if label is not None:
            print(f"{label}: {text}", file=sys.stderr, flush=True)
            _ANNOUNCED.add(key)
    return say


def _holds_model(folder: Path | str | None, key: str) -> bool:
    """Whether ``folder`` holds the saved model of the run whose cache key is ``key``."""
    if folder is None:
        return False
    from minbert_lab.training.saved_model import saved_info

    info = saved_info(folder)
    return info is not None and info.get("key") == key


def _train(config: RunConfig, store: RunStore, world: World, **kwargs) -> dict:
    """Trains ``config`` with a resume state in ``store`` and stores the result (rank 0; the
    other ranks of a distributed run only train); returns it as readers will see it."""
    from minbert_lab.training.loop import train  # heavy imports only when training

    if world.main:
        store.remove_leftovers(config)
    result = train(config, resume_path=store.resume_path(config), **kwargs)
    barrier(world)  # every rank has read the resume state before rank 0 deletes it
    return store.save(config, result) if world.main else result
