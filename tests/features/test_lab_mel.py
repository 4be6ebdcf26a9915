import math
import warnings

import librosa
import numpy as np
import pytest
import torch

from digitfusion.audio_io import load_audio
from digitfusion.data.corpora import list_recordings
from digitfusion.features.cache import load_features
from digitfusion.features.lab_mel import LabMelParams, LabMelSpectrogram, lab_filterbank, zero_filters
from tests.generate import tone

P = LabMelParams()

# float32 STFTs differ in their last bits. Relative to a clip's peak that is ~-130 dB: within 90 dB of the
# peak the dB values agree to thousandths; near the -100 dB floor (amin) they may differ by a fraction of a dB.
DB_TOLERANCE = 5e-3
FLOOR_TOLERANCE = 1.0
NEAR_PEAK_DB = 90.0


def librosa_reference(wave: np.ndarray) -> np.ndarray:
    """What the seed computed, spelled with librosa: torchaudio's defaults, including its assumed 16 kHz."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # librosa also warns about the empty filters
        power = librosa.feature.melspectrogram(y=wave, sr=16000, n_fft=400, hop_length=200, win_length=400,
                                               center=True, pad_mode="reflect", power=2.0, n_mels=128, htk=True,
                                               norm=None, fmin=0, fmax=8000)
    return 10 * np.log10(np.maximum(power, 1e-10))


def librosa_filterbank(htk: bool = True) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return librosa.filters.mel(sr=16000, n_fft=400, n_mels=128, fmin=0, fmax=8000, htk=htk, norm=None)


def torchaudio_filterbank() -> np.ndarray:
    """torchaudio.functional.melscale_fbanks(201, 0, 8000, 128, 16000, None, "htk") step by step, in float32."""
    all_freqs = torch.linspace(0, 16000 // 2, 201)
    m_pts = torch.linspace(2595.0 * math.log10(1.0), 2595.0 * math.log10(1.0 + 8000 / 700.0), 130)
    f_pts = 700.0 * (10.0 ** (m_pts / 2595.0) - 1.0)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    fb = torch.max(torch.zeros(1), torch.min(-slopes[:, :-2] / f_diff[:-1], slopes[:, 2:] / f_diff[1:]))
    return fb.T.numpy()


def assert_matches_reference(wave: np.ndarray) -> None:
    ours = LabMelSpectrogram(P)(torch.from_numpy(wave)[None])
    assert ours.shape == (1, 1, 128, 241)
    ours, reference = ours[0, 0].numpy(), librosa_reference(wave)
    near_peak = reference > reference.max() - NEAR_PEAK_DB
    assert np.abs(ours - reference)[near_peak].max() < DB_TOLERANCE
    assert np.abs(ours - reference).max() < FLOOR_TOLERANCE


def test_filterbank_matches_librosa_htk():
    # librosa builds the same triangles from the same float64 points: equal to float32 rounding.
    assert np.abs(lab_filterbank(P) - librosa_filterbank()).max() < 1e-6


def test_filterbank_tolerance_rejects_the_slaney_scale():
    assert np.abs(lab_filterbank(P) - librosa_filterbank(htk=False)).max() > 0.1


def test_filterbank_matches_torchaudio_float32():
    # torchaudio's float32 edges are off by up to ~5e-4 Hz near 8 kHz: weights move by ~1e-5, no more.
    assert np.abs(lab_filterbank(P) - torchaudio_filterbank()).max() < 1e-4


def test_zero_filters_are_the_ones_torchaudio_warned_about():
    ours = np.flatnonzero(lab_filterbank(P).max(axis=1) == 0)
    assert zero_filters(P) == 4 and ours.tolist() == [0, 3, 6, 13]
    assert ours.tolist() == np.flatnonzero(torchaudio_filterbank().max(axis=1) == 0).tolist()
    assert ours.tolist() == np.flatnonzero(librosa_filterbank().max(axis=1) == 0).tolist()


def test_prepare_pads_right_and_truncates():
    assert P.prepare(np.ones(10, np.float32))[:12].tolist() == [1] * 10 + [0, 0]
    assert P.prepare(np.ones(10, np.float32)).shape == (48000,)
    long = np.arange(50000, dtype=np.float32)
    assert np.array_equal(P.prepare(long), long[:48000])


def test_params_shape_and_spec_protocol():
    assert (P.n_mels, P.n_frames, P.sample_rate, P.store_waves) == (128, 241, 8000, False)
    assert len(P.digest()) == 12 and P.digest() == LabMelParams().digest()


def test_generated_tone_matches_librosa():
    assert_matches_reference(P.prepare(tone(3, 0, 0)))


def test_batch_equals_one_by_one():
    waves = torch.from_numpy(np.stack([P.prepare(tone(d, 0, 0)) for d in range(3)]))
    module = P.frontend()
    together = module(waves)
    assert together.shape == (3, 1, 128, 241)
    assert torch.allclose(together, torch.cat([module(w[None]) for w in waves]), atol=1e-3)


def test_load_features_caches_the_seed_spec(tiny_root, tmp_path):
    paths = [r.path for r in list_recordings(tiny_root)][:3]
    first = load_features(tiny_root, paths, LabMelParams(), cache=tmp_path)
    second = load_features(tiny_root, paths, LabMelParams(), cache=tmp_path)
    assert first.logmel.shape == (3, 1, 128, 241) and first.waves is None
    assert second.from_cache and np.array_equal(first.logmel, second.logmel)


@pytest.mark.integration
def test_real_files_match_librosa(real_root):
    for rec in list_recordings(real_root)[::750]:
        assert_matches_reference(P.prepare(load_audio(real_root / rec.path)))
