import pytest
import torch

from digitfusion.training.augment import level, pitch_shift, time_stretch
from tests.training.augment.signals import assert_shape_and_seeding, burst, gen, peak_hz, time_spread


@pytest.mark.parametrize("op", [pitch_shift, level])
def test_shape_and_seeding(op):
    assert_shape_and_seeding(op)


@pytest.mark.parametrize(("semitones", "expected_hz"), [(12.0, 800.0), (-12.0, 200.0), (7.0, 400 * 2 ** (7 / 12))])
def test_pitch_shift_moves_the_pitch_and_keeps_the_duration(semitones, expected_hz):
    x = burst(400.0)
    out = pitch_shift(x, gen(0), semitones=(semitones, semitones))
    assert torch.all((peak_hz(out) - expected_hz).abs() <= 6)
    assert torch.allclose(time_spread(out), time_spread(x), rtol=0.08)


def test_pitch_shift_by_zero_is_the_identity():
    x = burst(400.0) + 0.01 * torch.randn(4, 8000, generator=gen(4))
    assert torch.allclose(pitch_shift(x, gen(0), semitones=(0.0, 0.0)), x, atol=2e-3)


def test_pitch_shift_up_does_not_fold_high_content_back():
    x = burst(3000.0)  # x 1.5 would be 4500 Hz: above Nyquist, it must go, not come back at 3500 Hz
    out = pitch_shift(x, gen(0), semitones=(7.0, 7.0))
    assert out.square().sum() < 1e-3 * x.square().sum()


def test_time_stretch_changes_the_duration_not_the_pitch():
    x = burst(500.0, start=0.4, end=0.6)
    rate = torch.tensor([1.5, 0.75, 1.0, 1.25])
    out = time_stretch(x, rate)
    assert torch.allclose(time_spread(out) / time_spread(x), rate.double(), rtol=0.08)
    assert torch.all((peak_hz(out) - 500).abs() <= 6)


def test_level_clips_at_full_scale():
    x = burst(400.0, amplitude=0.5)
    loud = level(x, gen(0), db=(12.0, 12.0))
    assert loud.abs().max() == 1.0 and (loud.abs() == 1.0).sum() > 100
    quiet = level(x, gen(0), db=(-6.0, -6.0))
    assert torch.allclose(quiet, x * 10 ** (-6 / 20), atol=1e-7)
    assert level(x * 4, gen(0)).abs().max() <= 1.0
