"""Analysis of stored runs: the data overview, error analysis, gradient conflict, class
balance, cost, the paper row closest to a config, and the written verdicts on the paper's
claims (``verdicts.py``).

Each function returns a DataFrame or a Markdown string; notebooks only display and save them.
Notebook support (settings, banner, running tables) is in ``minbert_lab.study``; the statistics
the verdicts rest on are in ``minbert_lab.stats``.
"""
