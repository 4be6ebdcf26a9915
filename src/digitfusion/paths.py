"""Where data is read from and where caches and runs are written.

Data root lookup: --data DIR -> $DIGITFUSION_DATA -> ./data -> ../shared/data.
The data root is only ever read; caches and runs live under the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from digitfusion.errors import DigitfusionError

ENV_DATA = "DIGITFUSION_DATA"
ENV_CACHE = "DIGITFUSION_CACHE"
DEFAULT_DOWNLOAD_DIR = Path("data")


def looks_like_data_root(path: Path) -> bool:
    """A data root holds an MNIST folder or an audio corpus folder."""
    return path.is_dir() and ((path / "mnist").is_dir() or (path / "fsdd").is_dir() or (path / "audiomnist").is_dir())


def candidate_roots(explicit: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The places looked at, in order, each with where it came from."""
    found: list[tuple[str, Path]] = []
    if explicit:
        found.append(("--data", Path(explicit)))
    if os.environ.get(ENV_DATA):
        found.append((f"${ENV_DATA}", Path(os.environ[ENV_DATA])))
    found.append(("./data", Path("data")))
    found.append(("../shared/data", Path("..") / "shared" / "data"))
    return found


def find_data_root(explicit: str | os.PathLike | None = None) -> Path | None:
    """First data root that exists, or None. An explicit or env root that is wrong is an error, not skipped."""
    for origin, path in candidate_roots(explicit):
        if looks_like_data_root(path):
            return path.resolve()
        if origin in ("--data", f"${ENV_DATA}"):
            raise DigitfusionError(path, f"given by {origin} but holds no mnist/ or fsdd/ folder")
    return None


def require_data_root(explicit: str | os.PathLike | None = None) -> Path:
    root = find_data_root(explicit)
    if root is None:
        raise DigitfusionError("data root", "none found (tried ./data, ../shared/data); run `digitfusion data fetch`")
    return root


def cache_dir() -> Path:
    return Path(os.environ.get(ENV_CACHE, ".cache"))


def runs_dir() -> Path:
    return Path("runs")
