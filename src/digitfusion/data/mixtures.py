"""Named mixtures of corpora: every voice and every hand digitfusion has (torch-free, imported by the pipeline
configs and the shipped model's recipe).

Synthetic espeak-ng voices join training only (never validation or test). The outside speech corpora are the
voices the outside protocol holds out one at a time, each with the optdigits writers.
"""

from __future__ import annotations

PEOPLE_CORPORA = ("fsdd", "fsdd-jason", "speech-commands", "accented-numbers", "outside-voices", "synthetic")
PEOPLE_IMAGES = ("mnist", "optdigits")
OUTSIDE_VOICES = ("speech-commands", "outside-voices", "accented-numbers")
OUTSIDE_WRITERS = "optdigits"
