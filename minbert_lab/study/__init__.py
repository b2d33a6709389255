"""Notebook support: a notebook's settings and folders (``settings.py``), the banner it opens
with (``banner.py``), and the runs its tables and figures need, over its seeds (``runs.py``).

This is the layer notebooks call first; it trains or loads runs through ``experiments`` and
hands them to ``analysis``, ``stats`` and ``plots``.
"""
