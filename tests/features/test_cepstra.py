"""Cepstral frames (the enrolment templates' features) against librosa's MFCC on the same filterbank."""

import librosa
import numpy as np

from digitfusion.features.cepstra import LIFTER, N_CEPSTRA, cepstral_frames
from digitfusion.features.mel import LogMelParams, prepare_waveform
from tests.generate import tone

P = LogMelParams()


def librosa_cepstra(wave: np.ndarray) -> np.ndarray:
    power = librosa.feature.melspectrogram(y=wave.astype(np.float64), sr=P.sample_rate, n_fft=P.n_fft,
                                           hop_length=P.hop_length, win_length=P.win_length, n_mels=P.n_mels,
                                           fmin=P.f_min, fmax=P.f_max, center=False)
    mfcc = librosa.feature.mfcc(S=np.log(power + 1e-8), n_mfcc=N_CEPSTRA + 1, dct_type=2, norm="ortho", lifter=0)
    k = np.arange(1, N_CEPSTRA + 1)
    return (mfcc[1:] * (1 + LIFTER / 2 * np.sin(np.pi * k / LIFTER))[:, None]).T  # HTK's lifter on c1..c13


def test_frames_match_librosa_mfcc_on_the_speech_part():
    clip = prepare_waveform(tone(3, 0, 0), P)
    speech = clip[np.flatnonzero(clip)[0]:np.flatnonzero(clip)[-1] + 1]
    ours = cepstral_frames(clip, P)
    reference = librosa_cepstra(speech)
    assert ours.shape == reference.shape and ours.shape[1] == N_CEPSTRA
    assert np.abs(ours - reference).max() < 1e-3 * np.abs(reference).max()


def test_the_zero_padding_that_centres_a_clip_is_not_a_frame():
    clip = prepare_waveform(tone(5, 0, 0), P)
    inner = clip[np.flatnonzero(clip)[0]:np.flatnonzero(clip)[-1] + 1]
    assert cepstral_frames(clip, P).shape[0] == 1 + (len(inner) - P.n_fft) // P.hop_length
    assert np.array_equal(cepstral_frames(clip, P), cepstral_frames(np.pad(inner, (300, 500)), P))


def test_a_silent_or_tiny_clip_still_gives_finite_frames():
    assert cepstral_frames(np.ones(10, np.float32), P).shape == (1, N_CEPSTRA)
    assert np.isfinite(cepstral_frames(np.zeros(P.clip_samples, np.float32), P)).all()
