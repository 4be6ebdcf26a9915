"""The whole experiment: splits, unimodal models, every fusion strategy, evaluation, report."""
