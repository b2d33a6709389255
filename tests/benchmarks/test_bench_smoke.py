"""``benchmarks/bench_training.py --quick`` runs end to end and writes its section of a results
file without touching the others. No timings are checked: they depend on the machine."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_training.py"
OTHER = "## End-to-end epoch: bucketed dynamic padding vs pad-to-128\n\n| kept | table |\n"


def _load_script():
    spec = importlib.util.spec_from_file_location("bench_training", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_quick_run_writes_its_section_and_keeps_the_others(tmp_path):
    out = tmp_path / "RESULTS.md"
    out.write_text("# Benchmark results\n\n" + OTHER)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, str(SCRIPT), "--quick", "--out", str(out)]
    subprocess.run(command, check=True, env=env, timeout=600, capture_output=True)

    text = out.read_text()
    assert OTHER in text
    section = text[text.index("## Training step and evaluation forward vs transformers: CPU") :]
    rows = [line for line in section.splitlines() if line.startswith(("| train", "| eval"))]
    assert [row.split("|")[1].strip().split(",")[0] for row in rows] == [
        "train step", "train step", "eval forward",
    ]  # fmt: skip
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 7, row
        assert re.fullmatch(r"\*\*\d+\.\d\dx\*\*", cells[3]), row
        assert all(re.fullmatch(r"\d+%", c) for c in cells[5:]), row
    assert "### Where a training step's time goes" in section
    assert "| total |" in section


def test_replace_section_replaces_only_its_own_section():
    replace_section = _load_script().replace_section
    heading = "## Training step and evaluation forward vs transformers: CPU"
    text = "# Benchmark results\n\n" + OTHER
    once = replace_section(text, heading, "first")
    twice = replace_section(once, heading, "second")
    assert twice.count(heading) == 1 and "first" not in twice and "second" in twice
    assert OTHER in twice
    # A GPU section beside it stays, and the CPU section keeps its place before it.
    with_gpu = replace_section(twice, heading.replace("CPU", "GPU"), "gpu numbers")
    again = replace_section(with_gpu, heading, "third")
    assert again.index(heading) < again.index(heading.replace("CPU", "GPU"))
    assert "gpu numbers" in again and "third" in again and "second" not in again
