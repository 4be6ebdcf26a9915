"""Cepstral frames of a prepared clip, in numpy (torch-free: enrolment and `predict --profile` use them).

A person's own recordings of a word are matched frame by frame (enrol/templates.py): MFCC c1..c13 of the log-mel
filterbank the model uses, with HTK's sinusoidal lifter (L = 22). No per-utterance mean removal: a person's
templates and later recordings share a voice and usually a microphone, and that shared colouring is what tells
their words from other people's (chosen on validation speakers, bench/bench_enrol.py).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.fft import dct

from digitfusion.features.mel import LogMelParams, mel_filterbank

N_CEPSTRA = 13
LIFTER = 22


@lru_cache(maxsize=4)
def filterbank_and_window(params: LogMelParams) -> tuple[np.ndarray, np.ndarray]:
    """The model's mel filterbank [n_mels, n_fft // 2 + 1] and the frame window [n_fft] (built once per params)."""
    window = np.zeros(params.n_fft)
    left = (params.n_fft - params.win_length) // 2
    window[left:left + params.win_length] = np.hanning(params.win_length + 1)[:-1]
    return mel_filterbank(params).astype(np.float64), window


def frame_power(wave: np.ndarray, params: LogMelParams) -> np.ndarray:
    """Power spectra [T, n_fft // 2 + 1] of n_fft-sample frames every hop_length, each weighted by a periodic
    Hann window of win_length centred in it (the STFT of librosa / torch without centring); at least one frame."""
    wave = np.asarray(wave, np.float64)
    if len(wave) < params.n_fft:
        wave = np.pad(wave, (0, params.n_fft - len(wave)))
    n = 1 + (len(wave) - params.n_fft) // params.hop_length
    index = np.arange(params.n_fft)[None, :] + params.hop_length * np.arange(n)[:, None]
    return np.abs(np.fft.rfft(wave[index] * filterbank_and_window(params)[1], params.n_fft)) ** 2


DEFAULT_PARAMS = LogMelParams()


def cepstral_frames(clip: np.ndarray, params: LogMelParams = DEFAULT_PARAMS) -> np.ndarray:
    """A prepared clip [clip_samples] (speech centred in zeros) -> liftered MFCC frames [T, 13] of its speech
    part only (the zero padding that centres it is cut first, so T follows the word's own length)."""
    clip = np.asarray(clip, np.float64)
    sound = np.flatnonzero(clip != 0)
    if len(sound):
        clip = clip[sound[0]:sound[-1] + 1]
    # einsum, not a BLAS matmul: for one word's ~50 x 129 x 64 the threads' start costs more than the sum
    log_mel = np.log(np.einsum("tf,mf->tm", frame_power(clip, params), filterbank_and_window(params)[0]) + 1e-8)
    cepstra = dct(log_mel, type=2, norm="ortho", axis=1)[:, 1:N_CEPSTRA + 1]
    k = np.arange(1, N_CEPSTRA + 1)
    return (cepstra * (1 + LIFTER / 2 * np.sin(np.pi * k / LIFTER))).astype(np.float32)
