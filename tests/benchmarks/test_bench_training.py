"""``python -m benchmarks.bench_training --quick`` runs end to end and writes its section of a
results file without touching the others. No timings are checked: they depend on the machine."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.bench_training import parse_args, weights_description

REPO = Path(__file__).resolve().parents[2]
OTHER = "## End-to-end epoch: bucketed dynamic padding vs pad-to-128\n\n| kept | table |\n"


@pytest.mark.slow
def test_quick_run_writes_its_section_and_keeps_the_others(tmp_path):
    out = tmp_path / "RESULTS.md"
    out.write_text("# Benchmark results\n\n" + OTHER)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "benchmarks.bench_training", "--quick", "--out", str(out)]
    subprocess.run(command, check=True, env=env, cwd=REPO, timeout=600, capture_output=True)

    text = out.read_text()
    assert OTHER in text
    section = text[text.index("## Training step and evaluation forward vs transformers: CPU") :]
    assert "`python -m benchmarks.bench_training --quick --out " in section
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


def test_arguments_and_the_weights_they_describe():
    args = parse_args(["--quick", "--out", "r.md"])
    assert args.argv == ["--quick", "--out", "r.md"] and args.repeats is None
    assert "sanity run" in weights_description(args)
    assert weights_description(parse_args(["--weights", "random"])).startswith("random weights")
    assert weights_description(parse_args([])) == "all-MiniLM-L6-v2 weights"
