"""Each benchmark rewrites its own section of RESULTS.md and leaves the others alone."""

from __future__ import annotations

from benchmarks.results_file import replace_section, write_section

HEADING = "## Training step and evaluation forward vs transformers: CPU"
OTHER = "## End-to-end epoch: bucketed dynamic padding vs pad-to-128\n\n| kept | table |\n"


def test_replace_section_replaces_only_its_own_section():
    text = "# Benchmark results\n\n" + OTHER
    once = replace_section(text, HEADING, "first")
    twice = replace_section(once, HEADING, "second")
    assert twice.count(HEADING) == 1 and "first" not in twice and "second" in twice
    assert OTHER in twice
    # A GPU section beside it stays, and the CPU section keeps its place before it.
    with_gpu = replace_section(twice, HEADING.replace("CPU", "GPU"), "gpu numbers")
    again = replace_section(with_gpu, HEADING, "third")
    assert again.index(HEADING) < again.index(HEADING.replace("CPU", "GPU"))
    assert "gpu numbers" in again and "third" in again and "second" not in again


def test_write_section_creates_the_file_then_rewrites_its_section(tmp_path):
    path = tmp_path / "RESULTS.md"
    write_section(path, HEADING, "first")
    assert path.read_text() == f"# Benchmark results\n\n{HEADING}\n\nfirst\n"
    write_section(path, "## Other", "kept")
    write_section(path, HEADING, "second")
    assert path.read_text() == f"# Benchmark results\n\n{HEADING}\n\nsecond\n\n## Other\n\nkept\n"
