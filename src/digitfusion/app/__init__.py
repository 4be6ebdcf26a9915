"""The web app: draw a digit, say it, see how each modality voted (FastAPI + one static page)."""
