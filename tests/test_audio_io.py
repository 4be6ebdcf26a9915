import numpy as np
import pytest
import soundfile as sf

from digitfusion.audio_io import load_audio
from digitfusion.errors import DigitfusionError


def test_stereo_48k_is_mixed_and_resampled(tmp_path):
    t = np.arange(48000) / 48000
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    sf.write(tmp_path / "s.wav", np.stack([left, -left * 0 + left], axis=1), 48000, subtype="PCM_24")
    wave = load_audio(tmp_path / "s.wav")
    assert wave.dtype == np.float32 and len(wave) == 8000
    spectrum = np.abs(np.fft.rfft(wave))
    assert abs(np.argmax(spectrum) * 8000 / len(wave) - 440) < 2


def test_float_file_is_clipped_to_unit_range(tmp_path):
    sf.write(tmp_path / "f.wav", np.full(800, 3.0, dtype=np.float32), 8000, subtype="FLOAT")
    assert load_audio(tmp_path / "f.wav").max() <= 1.0


@pytest.mark.parametrize("content,problem", [(b"", "empty"), (b"RIFF not really", "not a readable audio")])
def test_bad_files_are_one_line_errors(tmp_path, content, problem):
    (tmp_path / "x.wav").write_bytes(content)
    with pytest.raises(DigitfusionError, match=problem) as err:
        load_audio(tmp_path / "x.wav")
    assert "\n" not in str(err.value) and "x.wav" in str(err.value)


def test_nan_samples_are_refused(tmp_path):
    data = np.zeros(800, dtype=np.float32)
    data[10] = np.nan
    sf.write(tmp_path / "n.wav", data, 8000, subtype="FLOAT")
    with pytest.raises(DigitfusionError, match="NaN"):
        load_audio(tmp_path / "n.wav")


def test_too_long_is_refused(tmp_path):
    sf.write(tmp_path / "long.wav", np.zeros(8000 * 3, dtype=np.float32), 8000)
    with pytest.raises(DigitfusionError, match="long"):
        load_audio(tmp_path / "long.wav", max_seconds=2)


def test_missing_and_directory(tmp_path):
    with pytest.raises(DigitfusionError, match="no such file"):
        load_audio(tmp_path / "nope.wav")
    with pytest.raises(DigitfusionError, match="directory"):
        load_audio(tmp_path)


@pytest.mark.integration
def test_real_fsdd_file(real_root):
    wave = load_audio(real_root / "fsdd/recordings/0_george_0.wav")
    assert wave.dtype == np.float32 and np.abs(wave).max() <= 1.0
