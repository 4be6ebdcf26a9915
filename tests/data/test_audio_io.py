import numpy as np
import pytest
import soundfile as sf

from digitfusion.data.audio_io import load_audio
from digitfusion.data.fsdd import list_recordings, parse_name
from digitfusion.errors import DigitfusionError


def test_parse_fsdd_and_audiomnist_names():
    assert parse_name("7_jackson_32.wav") == (7, "jackson", 32)
    assert parse_name("3_05_12.wav") == (3, "05", 12)
    assert parse_name("notes.wav") is None


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


def test_list_recordings_tiny(tiny_root):
    recs = list_recordings(tiny_root)
    assert len(recs) == 480 and recs[0].path.startswith("fsdd/recordings/")


def test_audiomnist_layout(tmp_path):
    folder = tmp_path / "audiomnist" / "data" / "01"
    folder.mkdir(parents=True)
    sf.write(folder / "4_01_7.wav", np.zeros(4800, dtype=np.float32), 48000)
    (rec,) = list_recordings(tmp_path, "audiomnist")
    assert (rec.digit, rec.speaker, rec.index) == (4, "01", 7)
    assert len(load_audio(tmp_path / rec.path)) == 800


def test_real_fsdd(real_root):
    recs = list_recordings(real_root)
    assert len(recs) == 3000 and len({r.speaker for r in recs}) == 6
    wave = load_audio(real_root / recs[0].path)
    assert wave.dtype == np.float32 and np.abs(wave).max() <= 1.0
