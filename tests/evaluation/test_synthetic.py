"""The generated user-like set: every item converts the MNIST/FSDD way, and the model answers on it."""

import numpy as np
import soundfile as sf

from digitfusion.evaluation.synthetic import make_audio, make_images, score_user_inputs
from digitfusion.features.image import load_user_image
from digitfusion.features.mel import LogMelParams
from digitfusion.predict import prepare_audio


def test_drawn_digits_convert_to_mnist_convention(tmp_path):
    for item in make_images(tmp_path, per_digit=1):
        pixels = load_user_image(item.path)
        ys, xs = np.nonzero(pixels > 30)
        assert pixels.shape == (28, 28) and pixels[0, 0] == 0 and pixels.max() > 200, item.description
        assert ys.max() - ys.min() <= 21 and xs.max() - xs.min() <= 21, item.description
        centre = np.array([(pixels * np.arange(28)[:, None]).sum(), (pixels * np.arange(28)).sum()]) / pixels.sum()
        assert np.abs(centre - 13.5).max() < 1.6, item.description


def test_voice_memos_are_trimmed_mono_8k_clips(tmp_path):
    items = make_audio(tmp_path, per_digit=1)
    rates = {sf.info(str(i.path)).samplerate for i in items}
    channels = {sf.info(str(i.path)).channels for i in items}
    assert len(rates) > 1 and channels == {1, 2}  # the set really varies
    for item in items:
        clip = prepare_audio(item.path, LogMelParams())
        assert clip.shape == (8000,) and np.abs(clip).max() > 0.01
        # the word is centred: the first and last 50 ms of the clip are (near) silent room noise
        assert np.abs(clip[:400]).max() < 0.05 and np.abs(clip[-400:]).max() < 0.05, item.description


def test_score_user_inputs_runs_the_exported_model(tiny_model):
    from digitfusion.export.runtime import ExportedRunner

    result = score_user_inputs(ExportedRunner(tiny_model), per_digit=1)
    assert result["items_per_modality"] == 10
    assert all(0.0 <= result[k] <= 1.0 for k in ("image_acc", "audio_acc", "pair_acc"))
