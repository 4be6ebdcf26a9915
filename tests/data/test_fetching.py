"""Fetching against a local HTTP server (127.0.0.1) serving generated MNIST files and FSDD-shaped archives."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import socket
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from digitfusion.data import catalog
from digitfusion.data.corpora import CORPORA, fsdd
from digitfusion.data.fetching import content_digest, download, fetch_archive, is_unsafe_member
from digitfusion.data.images import SOURCES
from digitfusion.data.images import mnist as mnist_source
from digitfusion.data.mnist import load_mnist
from digitfusion.errors import DigitfusionError
from tests.generate import tone, write_idx

TOP = "free-spoken-digit-dataset-1.0.10"
METADATA_PY = b"metadata = {'jackson': {'gender': 'male', 'accent': 'USA/neutral'}}\n"


def wav_bytes(digit: int, take: int) -> bytes:
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, tone(digit, 0, take), 8000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def fsdd_members() -> dict[str, bytes]:
    members = {f"{TOP}/README.md": b"# FSDD\n", f"{TOP}/metadata.py": METADATA_PY,
               f"{TOP}/recordings/README.txt": b"not a wav\n"}
    members.update({f"{TOP}/recordings/{d}_jackson_{t}.wav": wav_bytes(d, t) for d in range(10) for t in range(2)})
    return members


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes], link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tf.addfile(info)
    return buffer.getvalue()


class Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.requests.append(self.path)
        if self.path.startswith("/truncated/"):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 100)
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """(base URL, served folder, request log); the MNIST md5s and the FSDD pins point at the served files."""
    served = tmp_path / "served"
    (served / "mnist").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 12), ("t10k", 7)):
        write_idx(served / "mnist" / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        write_idx(served / "mnist" / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    for name in mnist_source.MD5:
        monkeypatch.setitem(mnist_source.MD5, name, hashlib.md5((served / "mnist" / name).read_bytes()).hexdigest())
    (served / "fsdd.zip").write_bytes(zip_bytes(fsdd_members()))
    (served / "fsdd.tar.gz").write_bytes(tar_bytes(fsdd_members()))
    (served / "page.zip").write_bytes(b"<html>not an archive</html>")
    log: list[str] = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
        type("LoggingHandler", (Handler,), {"requests": log}), directory=str(served)))
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    monkeypatch.setattr(fsdd, "ARCHIVE", base + "fsdd.zip")
    wavs = {Path(n).name: d for n, d in fsdd_members().items() if n.endswith(".wav")}
    staged = tmp_path / "expected"
    for name, data in wavs.items():
        (staged / "recordings").mkdir(parents=True, exist_ok=True)
        (staged / "recordings" / name).write_bytes(data)
    monkeypatch.setattr(fsdd, "RECORDINGS_SHA256", content_digest(staged, staged.rglob("*.wav")))
    monkeypatch.setitem(SOURCES, "mnist", mnist_source.Mnist(**{**vars(SOURCES["mnist"]),
                                                                "mirrors": (base + "mnist/",)}))
    try:
        yield base, served, log
    finally:
        httpd.shutdown()
        httpd.server_close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/file"


def test_fetch_then_verify(server, tmp_path):
    root = tmp_path / "data"
    catalog.fetch(root, ("mnist", "fsdd"), progress=False)
    rows = {r["name"]: r for r in catalog.verify(root)}
    assert (rows["fsdd"]["clips"], rows["fsdd"]["speakers"], rows["mnist"]["images"]) == (20, 1, 19)
    assert len(load_mnist(root, "train")[0]) == 12 and (root / "fsdd" / "speakers.json").is_file()
    assert sorted(p.name for p in (root / "fsdd").iterdir()) == ["recordings", "speakers.json"]
    assert not list(root.rglob("*.part"))


def test_second_fetch_downloads_nothing_and_a_corrupt_file_is_replaced(server, tmp_path):
    _, _, log = server
    root = tmp_path / "data"
    catalog.fetch(root, ("mnist", "fsdd"), progress=False)
    before = len(log)
    catalog.fetch(root, ("mnist", "fsdd"), progress=False)
    assert len(log) == before
    (root / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"junk")
    catalog.fetch(root, ("mnist",), progress=False)
    assert log[before:] == ["/mnist/t10k-labels-idx1-ubyte.gz"] and len(load_mnist(root, "test")[1]) == 7


def test_a_tar_archive_works_too(server, tmp_path, monkeypatch):
    base, _, _ = server
    monkeypatch.setattr(fsdd, "ARCHIVE", base + "fsdd.tar.gz")
    CORPORA["fsdd"].fetch(tmp_path, progress=False)
    assert len(list((tmp_path / "fsdd" / "recordings").glob("*.wav"))) == 20


def test_checksum_mismatch_leaves_nothing(server, tmp_path, monkeypatch):
    _, served, _ = server
    real = hashlib.md5((served / "mnist" / "train-images-idx3-ubyte.gz").read_bytes()).hexdigest()
    monkeypatch.setitem(mnist_source.MD5, "train-images-idx3-ubyte.gz", "0" * 32)
    with pytest.raises(DigitfusionError, match=rf"train-images-idx3-ubyte.gz: checksum mismatch: got {real}, expected "
                                               rf"md5:0{{32}} .*nothing was written"):
        catalog.fetch(tmp_path / "data", ("mnist",), progress=False)
    assert not (tmp_path / "data").exists()


def test_unpacked_files_that_are_not_the_pinned_ones_are_refused(server, tmp_path, monkeypatch):
    monkeypatch.setattr(fsdd, "RECORDINGS_SHA256", "f" * 64)
    with pytest.raises(DigitfusionError, match="is not the pinned"):
        CORPORA["fsdd"].fetch(tmp_path, progress=False)
    assert not (tmp_path / "fsdd").exists() and not list(tmp_path.glob(".*part"))


def test_offline_is_one_line(tmp_path):
    with pytest.raises(DigitfusionError, match="download failed: ConnectionError .are you offline") as err:
        download(closed_port_url(), None, tmp_path / "f", progress=False)
    assert "\n" not in str(err.value) and not list(tmp_path.iterdir())


def test_http_error_names_the_status(server, tmp_path):
    base, _, _ = server
    with pytest.raises(DigitfusionError, match="HTTP 404"):
        download(base + "missing.zip", None, tmp_path / "f", progress=False)


def test_truncated_download_leaves_no_part_file(server, tmp_path):
    base, _, _ = server
    with pytest.raises(DigitfusionError, match="download failed"):
        download(base + "truncated/x", None, tmp_path / "dl" / "f", progress=False)
    assert not list((tmp_path / "dl").iterdir())


def test_the_next_mirror_is_tried(server, tmp_path, monkeypatch):
    base, _, _ = server
    monkeypatch.setitem(SOURCES, "mnist", mnist_source.Mnist(**{**vars(SOURCES["mnist"]),
                                                                "mirrors": (base + "gone/", base + "mnist/")}))
    catalog.fetch(tmp_path, ("mnist",), progress=False)
    assert len(load_mnist(tmp_path, "test")[0]) == 7


def test_all_mirrors_failing_says_how_many(server, tmp_path, monkeypatch):
    base, _, _ = server
    monkeypatch.setitem(SOURCES, "mnist", mnist_source.Mnist(**{**vars(SOURCES["mnist"]),
                                                                "mirrors": (base + "a/", base + "b/")}))
    with pytest.raises(DigitfusionError, match="HTTP 404.*1 other mirror"):
        catalog.fetch(tmp_path / "d", ("mnist",), progress=False)
    assert not (tmp_path / "d").exists()


def _serve(served: Path, name: str, data: bytes) -> str:
    (served / name).write_bytes(data)
    return name


@pytest.mark.parametrize("evil", ["../evil.wav", "/abs/evil.wav", f"{TOP}/../../evil.wav", "C:/evil.wav"])
@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_zip_slip_members_are_refused(server, tmp_path, evil, kind):
    base, served, _ = server
    members = {**fsdd_members(), evil: b"x"}
    name = _serve(served, f"evil.{kind}", zip_bytes(members) if kind == "zip" else tar_bytes(members))
    with pytest.raises(DigitfusionError, match="zip-slip"):
        fetch_archive(base + name, None, tmp_path / "out", fsdd._select, progress=False)
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.wav").exists()


def test_link_members_and_non_archives_and_empty_archives_are_refused(server, tmp_path):
    base, served, _ = server
    linked = _serve(served, "link.tar.gz", tar_bytes(fsdd_members(), link=f"{TOP}/recordings/9_x_9.wav"))
    with pytest.raises(DigitfusionError, match="is a link"):
        fetch_archive(base + linked, None, tmp_path / "out", fsdd._select, progress=False)
    with pytest.raises(DigitfusionError, match="not a zip or tar archive"):
        fetch_archive(base + "page.zip", None, tmp_path / "out", fsdd._select, progress=False)
    empty = _serve(served, "empty.zip", zip_bytes({f"{TOP}/README.md": b"x"}))
    with pytest.raises(DigitfusionError, match="none of the expected files"):
        fetch_archive(base + empty, None, tmp_path / "out", fsdd._select, progress=False)
    assert not (tmp_path / "out").exists()


def test_unsafe_member_names():
    assert is_unsafe_member("../x") and is_unsafe_member("/x") and is_unsafe_member("a/../../x")
    assert is_unsafe_member("C:\\x") and not is_unsafe_member("top/recordings/0_a_0.wav")


def test_gzip_fixture_is_what_mnist_reads(tmp_path):
    write_idx(tmp_path / "x.gz", np.zeros((2, 28, 28)))
    assert gzip.decompress((tmp_path / "x.gz").read_bytes())[:4] == b"\x00\x00\x08\x03"


def test_cli_fetch_offline_is_one_line_exit_2_and_leaves_no_folder(tmp_path, monkeypatch, capsys):
    from digitfusion.cli import main

    monkeypatch.setattr(fsdd, "ARCHIVE", closed_port_url())
    assert main(["data", "fetch", "--data", str(tmp_path / "data"), "--corpus", "fsdd"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "download failed" in err and "are you offline" in err
    assert not (tmp_path / "data").exists()
