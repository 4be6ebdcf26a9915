"""Evaluation: metrics over seeds and degraded test conditions."""
