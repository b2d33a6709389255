"""Statistics of the study's results: seed intervals and the paired bootstrap
(``significance.py``). Numbers only; the written verdicts built on them are in
``analysis.verdicts``."""
