"""Two writers of one cache entry at once: nobody reads half a file, nobody trains twice."""

from __future__ import annotations

import json
import subprocess
import threading
import warnings
from pathlib import Path

import pytest
from faulty_run import FAULT_CONFIG, child_env, script

from minbert_lab.experiments.store import RunStore, load_result, resume_path, save_result


def test_racing_writers_and_a_reader_only_ever_see_whole_results(tmp_path: Path) -> None:
    path = tmp_path / "entry.json"
    versions = [{"writer": w, "payload": "x" * (2000 * (w + 1))} for w in range(4)]
    seen, problems = [], []
    stop = threading.Event()

    def write(result: dict) -> None:
        for _ in range(100):
            save_result(path, result)

    def read() -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            while not stop.is_set():
                got = load_result(path)
                if got is not None:
                    seen.append(got["writer"])
                    if got not in versions:
                        problems.append(got)
        problems.extend(str(w.message) for w in caught)  # "damaged": a torn read

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(v,)) for v in versions]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    reader.join()
    assert problems == []
    assert len(set(seen)) > 1  # the reader really saw the writers take turns
    assert load_result(path) in versions
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.slow
def test_two_notebooks_running_one_config_train_it_once(data_dir: Path, tmp_path: Path,
                                                        reference: dict) -> None:
    runs, waiting = tmp_path / "runs", tmp_path / "b-is-waiting"
    with open(tmp_path / "first.err", "w") as err:  # a file: a full pipe would block it
        first = subprocess.Popen(
            script(data_dir, runs, "--hold-at-step", "2", "--until", str(waiting)),
            env=child_env(), stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            assert first.stdout.readline().strip() == "TRAINING"  # it holds the lock, mid-run
            second = subprocess.run(script(data_dir, runs, "--signal-waiting", str(waiting)),
                                    env=child_env(), capture_output=True, text=True,
                                    timeout=300)
            out, _ = first.communicate(timeout=300)
        finally:
            first.kill()
    errors = (tmp_path / "first.err").read_text() + second.stderr
    assert first.returncode == 0 and second.returncode == 0, errors
    trained, loaded = json.loads(out), json.loads(second.stdout.splitlines()[-1])
    assert trained["cached"] is False
    assert loaded["cached"] is True  # it waited for the first run's result
    assert any("waiting for its result" in w for w in loaded["warnings"])
    assert trained["metrics"] == loaded["metrics"] == reference["metrics"]
    path = RunStore(data_dir, runs).path(FAULT_CONFIG)
    assert load_result(path)["metrics"] == reference["metrics"]
    assert not resume_path(path).exists() and not list(path.parent.glob(".*.tmp"))
