"""A profile meets a model: checking it was made with that model (the adapting is `Profile.adapt_outputs`)."""

from __future__ import annotations

import json
import os

from digitfusion.enrol.profile import EMBEDDINGS, Profile, ProfileError, check_model, read_profile_file
from digitfusion.errors import DigitfusionError
from digitfusion.export.runtime import CHECKSUMS, MODEL, ExportedRunner


def model_identity(runner: ExportedRunner) -> tuple[str, dict[str, int]]:
    """(sha256 of model.onnx, embedding size per modality) of a loaded model folder. A folder exported
    before the graph returned embeddings cannot be enrolled with: it is refused, saying so."""
    shapes = {o.name: o.shape for o in runner.session.get_outputs()}
    missing = [name for name in EMBEDDINGS.values() if name not in shapes]
    if missing:
        raise DigitfusionError(runner.folder / MODEL, f"has no {', '.join(missing)} output (exported before "
                                                      "enrolment existed): run `digitfusion export` again")
    sha = json.loads((runner.folder / CHECKSUMS).read_text())[MODEL]  # verified when the runner was loaded
    return sha, {m: int(shapes[name][-1]) for m, name in EMBEDDINGS.items()}


def load_profile_for(path: str | os.PathLike, runner: ExportedRunner) -> Profile:
    """Read a profile file and check it was made with this runner's model (else a one-line error)."""
    profile = read_profile_file(path)
    bind(profile, runner, path)
    return profile


def bind(profile: Profile, runner: ExportedRunner, source: object) -> None:
    sha, dims = model_identity(runner)
    try:
        check_model(profile, sha, dims)
    except ProfileError as err:
        raise DigitfusionError(source, f"profile {err}") from None
