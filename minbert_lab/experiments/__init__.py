"""Experiments: run-or-load with a results cache, and the paper's grids as DataFrames."""
