import librosa
import numpy as np
import pytest
import torch

from digitfusion.audio_io import load_audio
from digitfusion.data.corpora import list_recordings
from digitfusion.features.audio import LogMel
from digitfusion.features.mel import LogMelParams, fit_length, mel_filterbank, prepare_waveform, trim_silence
from tests.generate import tone

P = LogMelParams()


# float32 STFTs differ in the last bits; in dB that is at most a few thousandths near the -80 dB floor.
DB_TOLERANCE = 5e-3


def librosa_log_mel(wave: np.ndarray) -> np.ndarray:
    power = librosa.feature.melspectrogram(y=wave, sr=P.sample_rate, n_fft=P.n_fft, hop_length=P.hop_length,
                                           win_length=P.win_length, n_mels=P.n_mels, fmin=P.f_min, fmax=P.f_max)
    return librosa.power_to_db(power, ref=1.0, amin=1e-10, top_db=P.top_db)


def test_filterbank_matches_librosa():
    reference = librosa.filters.mel(sr=P.sample_rate, n_fft=P.n_fft, n_mels=P.n_mels, fmin=P.f_min, fmax=P.f_max)
    assert np.abs(mel_filterbank(P) - reference).max() < 1e-6


def test_generated_tone_matches_librosa():
    wave = prepare_waveform(tone(3, 0, 0), P)
    ours = LogMel(P)(torch.from_numpy(wave)[None])[0, 0].numpy()
    assert ours.shape == (64, 101)
    assert np.abs(ours - librosa_log_mel(wave)).max() < DB_TOLERANCE


def test_fit_length_centres_and_crops():
    assert fit_length(np.ones(4, np.float32), 8).tolist() == [0, 0, 1, 1, 1, 1, 0, 0]
    assert fit_length(np.arange(10, dtype=np.float32), 4).tolist() == [3, 4, 5, 6]


def test_trim_silence_removes_padding():
    speech = tone(5, 0, 0)
    padded = np.concatenate([np.zeros(8000, np.float32), speech, np.zeros(8000, np.float32)])
    trimmed = trim_silence(padded, P)
    assert len(speech) <= len(trimmed) <= len(speech) + 2 * P.sample_rate // 20 + P.win_length


def test_batch_equals_one_by_one():
    waves = torch.from_numpy(np.stack([prepare_waveform(tone(d, 0, 0), P) for d in range(4)]))
    module = LogMel(P)
    together = module(waves)
    alone = torch.cat([module(w[None]) for w in waves])
    assert torch.allclose(together, alone, atol=1e-4)


def test_real_files_match_librosa(real_root):
    recordings = list_recordings(real_root)[::300]
    for rec in recordings:
        wave = prepare_waveform(load_audio(real_root / rec.path), P)
        ours = LogMel(P)(torch.from_numpy(wave)[None])[0, 0].numpy()
        assert np.abs(ours - librosa_log_mel(wave)).max() < DB_TOLERANCE, rec.path


@pytest.mark.parametrize("rate", [8000, 16000, 44100])
def test_rate_does_not_change_features_much(tmp_path, rate):
    """The same tone written at another rate gives nearly the same features after resampling."""
    import soundfile as sf

    t = np.arange(int(0.4 * rate)) / rate
    sf.write(tmp_path / "t.wav", 0.5 * np.sin(2 * np.pi * 700 * t), rate, subtype="FLOAT")
    wave = prepare_waveform(load_audio(tmp_path / "t.wav"), P)
    feats = LogMel(P)(torch.from_numpy(wave)[None])[0, 0]
    centres = librosa.mel_frequencies(P.n_mels + 2, fmin=P.f_min, fmax=P.f_max)[1:-1]
    assert abs(feats.mean(dim=1).argmax().item() - int(np.argmin(np.abs(centres - 700)))) <= 1
