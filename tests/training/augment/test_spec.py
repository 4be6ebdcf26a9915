import pytest
import torch

from digitfusion.features.mel import LogMelParams
from digitfusion.training.augment import FORMANT_RANGE, formant_warp, vtlp
from digitfusion.training.augment.spec import mel_centres_hz
from tests.training.augment.signals import gen


def formant_feats(b: int = 16) -> torch.Tensor:
    """Log-mel [B, 1, 64, 20] with two 'formants' (bright bands near 500 and 1500 Hz) over a -70 dB floor."""
    centres = torch.from_numpy(mel_centres_hz(64, 20.0, 4000.0)).float().view(1, 1, 64, 1)
    first, second = -10 * ((centres - 500.0) / 150) ** 2, -5 - 10 * ((centres - 1500.0) / 250) ** 2
    return torch.maximum(torch.maximum(first, second), torch.tensor(-70.0)).expand(b, 1, 64, 20).clone()


def centroid_hz(feats: torch.Tensor) -> torch.Tensor:
    """Power-weighted mean band frequency per example [B]."""
    centres = torch.from_numpy(mel_centres_hz(feats.shape[2], 20.0, 4000.0)).view(1, -1)
    power = torch.pow(10.0, feats.double()[:, 0].mean(-1) / 10)
    return (power * centres).sum(-1) / power.sum(-1)


def test_formant_shape_and_seeding():
    x = formant_feats()
    out = formant_warp(x, gen(0))
    assert out.shape == x.shape and torch.equal(out, formant_warp(x, gen(0)))
    assert not torch.equal(out, formant_warp(x, gen(1)))


def formant_peaks_hz(feats: torch.Tensor) -> torch.Tensor:
    """Centre frequencies of the brightest band below and above 1 kHz, per example [B, 2]."""
    centres = torch.from_numpy(mel_centres_hz(feats.shape[2], 20.0, 4000.0))
    profile = feats[:, 0].mean(-1)
    low = centres < 1000
    return torch.stack([centres[low][profile[:, low].argmax(-1)], centres[~low][profile[:, ~low].argmax(-1)]], 1)


@pytest.mark.parametrize("alpha", [0.85, 1.2, 1.35])
def test_formant_warp_moves_the_formants_and_the_spectral_centroid(alpha):
    x = formant_feats(2)
    out = formant_warp(x, gen(0), alpha=(alpha, alpha))
    ratio = formant_peaks_hz(out) / formant_peaks_hz(x)
    assert torch.allclose(ratio, torch.full_like(ratio, alpha), rtol=0.08)  # within a mel band
    moved = centroid_hz(out) / centroid_hz(x)
    # the centroid moves the same way, by at least half as much (mel bands widen with frequency)
    assert torch.all(torch.log(moved) / torch.log(torch.tensor(alpha, dtype=torch.float64)) > 0.5)


def test_formant_range_is_wider_than_vtlp():
    x = formant_feats(256)
    wide = centroid_hz(formant_warp(x, gen(0))) / centroid_hz(x)
    narrow = centroid_hz(vtlp(x, gen(0))) / centroid_hz(x)
    assert wide.min() < 0.92 and wide.max() > 1.2 and narrow.min() > 0.9 and narrow.max() < 1.1
    assert wide.min() > FORMANT_RANGE[0] - 0.05 and wide.max() < FORMANT_RANGE[1]
    assert LogMelParams().n_mels == x.shape[2]
