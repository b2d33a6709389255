"""Analysis for the notebooks: settings and banner, data overview, the study's tables and
their computed readings, error analysis, and the paper row closest to any config.

Each function returns a DataFrame or a Markdown string; notebooks only display and save them.
"""
