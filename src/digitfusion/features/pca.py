"""Principal components of images, fit on train images: the AV-MNIST degradation (evaluation) and the
low-rank image augmentation (training) both rebuild images from the leading components."""

from __future__ import annotations

import torch
from torch import Tensor


def _eigh_one_thread(matrix: Tensor) -> tuple[Tensor, Tensor]:
    """torch.linalg.eigh of a small symmetric matrix [D, D] (D = 784 takes ~0.1 s) on one CPU thread: with its
    threads competing for busy cores, multi-threaded LAPACK took ~10 s for the same matrix."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return torch.linalg.eigh(matrix)
    finally:
        torch.set_num_threads(threads)


class PCAImages:
    """Images rebuilt from their first principal components, fit on train images.

    AV-MNIST (Vielzeuf et al.) removes 75 % of the images' energy: `by="energy"` (the default) keeps the
    fewest leading components that carry `keep` = 25 % of the train pixel variance (a handful on MNIST: a
    real degradation). `by="components"` keeps that fraction of the D = H x W components instead (196 of
    784, which leaves MNIST almost intact: the image model still reads ~99 % of them).

    The basis is the eigenvectors of the pixel scatter matrix [D, D], accumulated in float64 over chunks: the same
    components as an SVD of the centred data [N, D], without a float64 copy of the whole train set."""

    def __init__(self, keep: float = 0.25, by: str = "energy", chunk: int = 8192) -> None:
        if not 0.0 < keep <= 1.0:
            raise ValueError(f"keep must be in (0, 1], got {keep}")
        if by not in ("energy", "components"):
            raise ValueError(f"by must be 'energy' or 'components', got {by!r}")
        self.keep, self.by, self.chunk = keep, by, chunk
        self.mean: Tensor | None = None  # [D] float64
        self.components: Tensor | None = None  # [k, D] float64, rows orthonormal, by decreasing variance
        self.variances: Tensor | None = None  # [D] float64, variance along every component, decreasing

    def fit(self, images: Tensor) -> PCAImages:
        """Fit the mean and basis on images [N, 1, H, W] (the train set only). Returns self."""
        flat = images.reshape(images.shape[0], -1)
        mean = flat.double().mean(dim=0)
        scatter = torch.zeros(flat.shape[1], flat.shape[1], dtype=torch.float64, device=flat.device)
        for start in range(0, flat.shape[0], self.chunk):
            centred = flat[start : start + self.chunk].double() - mean
            scatter += centred.T @ centred
        eigvals, eigvecs = _eigh_one_thread(scatter.cpu())  # ascending
        self.mean = mean.cpu()
        self.variances = eigvals.flip(0).clamp(min=0.0)
        if self.by == "energy":
            share = self.variances.cumsum(0) / self.variances.sum().clamp(min=1e-30)
            k = int(torch.searchsorted(share, torch.tensor(self.keep, dtype=share.dtype))) + 1
        else:
            k = max(1, round(self.keep * flat.shape[1]))
        self.components = eigvecs.flip(1)[:, :k].T.contiguous()
        return self

    @property
    def k(self) -> int:
        """Number of kept components."""
        return self.fitted()[1].shape[0]

    def transform(self, images: Tensor) -> Tensor:
        """Project images [N, 1, H, W] onto the kept components and add the mean back -> [N, 1, H, W]."""
        mean, components = (t.to(images.device, images.dtype) for t in self.fitted())
        centred = images.reshape(images.shape[0], -1) - mean
        return ((centred @ components.T) @ components + mean).reshape(images.shape)

    def explained_variance(self) -> float:
        """Fraction of the train set's pixel variance carried by the kept components."""
        self.fitted()
        return float(self.variances[: self.k].sum() / self.variances.sum().clamp(min=1e-30))

    def fitted(self) -> tuple[Tensor, Tensor]:
        """(mean, components), or an error when fit has not run."""
        if self.mean is None or self.components is None:
            raise RuntimeError("PCAImages.fit must run before transform")
        return self.mean, self.components
