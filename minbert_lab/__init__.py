"""minBERT Lab: multitask fine-tuning of a BERT encoder on SST-5, Quora and STS-B."""

from __future__ import annotations

__version__ = "0.1.0"


def code_version() -> str | None:
    """The git commit of this checkout (``+dirty`` when it has uncommitted changes), or
    ``None`` outside a git checkout; recorded in every result so a number names its code."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--",
                                "minbert_lab"], check=True, capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (e.g. "AMD EPYC"), else what Python knows:
    the machine a number was measured on."""
    import contextlib
    import platform
    from pathlib import Path

    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"
