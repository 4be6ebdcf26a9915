"""Enrolment: a person's own examples of each digit (voice, writing) adapt the exported model's answers
without training (methods.py), kept in a small profile file bound to the model (profile.py), built by
`digitfusion enrol` (build.py) and applied by `predict --profile` and the app (apply.py)."""
