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
    lines = section.splitlines()
    start = lines.index("| --- | --- | --- | ---: | ---: | ---: | ---: |") + 1
    table = lines[start : lines.index("", start)]  # the timings, up to the blank line after them
    workloads = [line.split("|")[1].strip() for line in table if not line.startswith("| |")]
    assert [w.rsplit(", ", 1)[0] for w in workloads] == [
        "train step, 4 x 8", "train step, 4 x 16", "eval forward, 8 x 16",
    ]  # fmt: skip
    assert all(re.search(r", \d+% padding$", w) for w in workloads), workloads
    assert len(table) % 3 == 0 and len(table) // 3 >= 2  # the reference and minBERT, at least
    for line in table:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 7, line
        assert re.fullmatch(r"\d+\.\d ms", cells[3]), line
        assert cells[4] == "1" or re.fullmatch(r"(\*\*)?\d+\.\d\dx(\*\*)?", cells[4]), line
        assert re.fullmatch(r"\d+%", cells[6]), line
    assert section.count(", met;") + section.count(", not met;") == 3
    assert re.search(r"- train step, 4 x 8: \d+\.\d{3}x for a target of 1\.5x", section)
    assert "### Where the time goes" in section
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
