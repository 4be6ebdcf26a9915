import pytest
import torch

from digitfusion.features.pca import PCAImages
from tests.generate import blobs


def test_pca_full_keep_reconstructs_exactly():
    train = blobs(200, 1)
    pca = PCAImages(keep=1.0).fit(train)
    assert pca.k == 784
    assert torch.allclose(pca.transform(blobs(50, 2)), blobs(50, 2), atol=1e-4)
    assert pca.explained_variance() == pytest.approx(1.0)


def test_pca_energy_keeps_the_fewest_components_reaching_the_share():
    train = blobs(300, 1)
    pca = PCAImages(keep=0.25).fit(train)
    assert pca.explained_variance() >= 0.25
    fewer = PCAImages(keep=(pca.k - 1) / 784, by="components").fit(train) if pca.k > 1 else None
    assert fewer is None or fewer.explained_variance() < 0.25


def test_pca_error_shrinks_with_more_components():
    train = blobs(300, 1)
    quarter, twentieth = PCAImages(by="components").fit(train), PCAImages(keep=0.05, by="components").fit(train)
    assert quarter.k == 196 and twentieth.k == 39
    err_quarter = (quarter.transform(train) - train).square().mean()
    err_twentieth = (twentieth.transform(train) - train).square().mean()
    assert 0 < err_quarter < err_twentieth
    assert twentieth.explained_variance() < quarter.explained_variance() < 1.0
    assert quarter.transform(train).shape == train.shape


def test_pca_uses_only_the_fitted_images():
    train, test = blobs(300, 1), blobs(100, 2) + 0.5 * torch.randn(100, 1, 28, 28)
    from_train = PCAImages().fit(train).transform(test)
    from_test = PCAImages().fit(test).transform(test)
    assert not torch.allclose(from_train, from_test, atol=1e-3)


def test_pca_needs_fit():
    with pytest.raises(RuntimeError):
        PCAImages().transform(blobs(2, 0))
