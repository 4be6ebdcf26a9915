"""Figures, tables and the HTML/markdown report."""
