"""Moved to ``minbert_lab.study.settings``.

Kept only because ``minbert_lab/notebooks.py`` (owned by another branch) still imports
``repo_root`` from here; delete this file once it imports ``minbert_lab.study.settings``.
"""

from minbert_lab.study.settings import repo_root

__all__ = ["repo_root"]
