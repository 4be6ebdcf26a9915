"""Downloads through pooch: every file sha256- (or, for MNIST, md5-) checked, written atomically, skipped when
already present and good, so an interrupted fetch resumes at the first file it had not finished.
Archives are unpacked by `extract`, which refuses members that would land outside the target (zip-slip) or links.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from digitfusion.errors import DigitfusionError
from digitfusion.paths import ENV_DATA

OFFLINE_HINT = f"are you offline? put the data under ./data or set {ENV_DATA}"


def sha256sum(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_digest(root: Path, paths: Iterable[Path]) -> str:
    """sha256 over (path relative to root, sha256 of its bytes) of every file, sorted: one pin for a folder."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(f"{path.relative_to(root).as_posix()}\0{sha256sum(path)}\n".encode())
    return digest.hexdigest()


def download(url: str, known_hash: str | None, target: Path, progress: bool = True) -> Path:
    """`url` -> `target` (pooch: temporary file, hash check, then rename). `known_hash` is "sha256-hex" or
    "md5:hex"; a present file with that hash is kept. Raises a one-line DigitfusionError on any failure."""
    import pooch  # here, not at the top: every CLI start reads the corpus registry, which imports this module
    import requests

    pooch.get_logger().setLevel(logging.INFO if progress else logging.ERROR)  # its "Downloading ..." line
    try:
        return Path(pooch.retrieve(url, known_hash, fname=target.name, path=target.parent, progressbar=progress))
    except ValueError as err:  # pooch's hash mismatch (and a malformed URL)
        if "hash" in str(err).lower():
            got = re.search(r"but got ([0-9a-f]+)", str(err))  # pooch's wording
            seen = f": got {got[1]}" if got else ""
            raise DigitfusionError(target.name, f"checksum mismatch{seen}, expected {known_hash} "
                                                f"(downloaded from {url}); nothing was written") from None
        raise DigitfusionError(url, f"download failed: bad URL ({err})") from None
    except requests.exceptions.HTTPError as err:
        status = err.response.status_code if err.response is not None else "error"
        raise DigitfusionError(url, f"download failed: HTTP {status} ({OFFLINE_HINT})") from None
    except (requests.exceptions.RequestException, OSError) as err:
        reason = type(err).__name__ if isinstance(err, requests.exceptions.RequestException) else err.strerror
        raise DigitfusionError(url, f"download failed: {reason} ({OFFLINE_HINT})") from None


def is_unsafe_member(name: str) -> bool:
    """An archive member that would land outside the target folder (zip-slip): absolute, drive, or '..'."""
    norm = name.replace("\\", "/")
    return norm.startswith("/") or bool(re.match(r"^[A-Za-z]:", norm)) or ".." in norm.split("/")


def extract(archive: Path, dest: Path, select: Callable[[str], str | None], source: str) -> int:
    """Write the members `select` maps to a relative path (None = skip) under `dest`; return how many.

    Every member name is checked before anything is written: one unsafe member rejects the archive."""
    count = 0
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                members = [(i.filename, i) for i in zf.infolist()]
                _check_names(members, source)
                for name, info in members:
                    if not info.is_dir() and (rel := select(name)):
                        _write(dest / rel, zf.read(info))
                        count += 1
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                members = [(m.name, m) for m in tf.getmembers()]
                _check_names(members, source)
                for name, member in members:
                    rel = select(name)
                    if rel and (member.issym() or member.islnk()):
                        raise DigitfusionError(source, f"archive member {name!r} is a link; refusing to extract")
                    if rel and member.isfile():
                        _write(dest / rel, tf.extractfile(member).read())
                        count += 1
        else:
            raise DigitfusionError(source, "downloaded file is not a zip or tar archive")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as err:
        raise DigitfusionError(source, f"corrupt archive ({err})") from None
    if count == 0:
        raise DigitfusionError(source, "archive holds none of the expected files")
    return count


def _check_names(members: list[tuple[str, object]], source: str) -> None:
    for name, _ in members:
        if is_unsafe_member(name):
            raise DigitfusionError(source, f"archive member {name!r} would land outside the target folder "
                                           "(zip-slip); refusing to extract")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def fetch_archive(url: str, known_hash: str | None, target: Path, select: Callable[[str], str | None],
                  progress: bool = True, content_sha256: str | None = None) -> Path:
    """Download an archive, unpack the selected members into a staging folder beside `target`, check the
    unpacked .wav files' `content_digest` when given, and move the folder into place: all of it or nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part"))
    try:
        archive = download(url, known_hash, staging / "archive", progress)
        extract(archive, staging / "files", select, url)
        archive.unlink()
        files = list((staging / "files").rglob("*.wav"))
        if content_sha256 and (got := content_digest(staging / "files", files)) != content_sha256:
            raise DigitfusionError(url, f"unpacked files' sha256 {got} is not the pinned {content_sha256}; "
                                        "nothing was written")
        install(staging / "files", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def install(staging: Path, target: Path) -> None:
    """Move the staged tree into `target`: one rename when `target` is absent, else file by file."""
    if not target.exists():
        os.replace(staging, target)
        return
    for item in sorted(staging.rglob("*")):
        if item.is_file():
            dest = target / item.relative_to(staging)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(item, dest)


def fetch_files(base_url: str, checksums: dict[str, str], folder: Path, progress: bool = True) -> Path:
    """Each `relative path -> sha256` from `base_url` + path into `folder` (present good files are kept)."""
    for rel, sha in sorted(checksums.items()):
        download(base_url.rstrip("/") + "/" + rel, sha, folder / rel, progress)
    return folder


def read_checksums(path: Path) -> dict[str, str]:
    """A `sha256sum` file (`HEX  relative/path` lines) as {path: hex}."""
    pairs = (line.split(maxsplit=1) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {name.strip(): sha for sha, name in pairs}
