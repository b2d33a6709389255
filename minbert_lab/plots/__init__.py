"""Plots: library functions that return matplotlib Figures; notebooks only show and save them."""
