"""Fusion strategies, one module each (a family of rules may share one: late.py). Every module that defines `SPEC`
or `SPECS` is registered by scanning this package (models/registry.py); helper modules define neither."""
