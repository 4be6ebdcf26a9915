import numpy as np
import pytest
import torch

from digitfusion.training.augment import laptop_mic, mu_law_codec, reverb, telephone
from tests.training.augment.signals import RATE, assert_shape_and_seeding, band_gain_db, burst, gen


@pytest.mark.parametrize("op", [telephone, laptop_mic, reverb])
def test_shape_and_seeding(op):
    assert_shape_and_seeding(op)


def test_telephone_removes_the_bass_and_the_top_and_passes_speech():
    def gain(freq):
        x = burst(freq)
        return band_gain_db(x, telephone(x, gen(0), low_hz=(300.0, 300.0), high_hz=(3400.0, 3400.0)))
    assert (gain(100.0) < -30).all() and (gain(200.0) < -12).all()  # below 300 Hz: gone
    assert (gain(1000.0).abs() < 0.5).all() and (gain(2000.0).abs() < 0.5).all()
    assert (gain(3900.0) < -15).all()


def test_telephone_edges_vary_per_clip():
    x = burst(320.0, b=16)
    gains = band_gain_db(x, telephone(x, gen(0)))  # edges drawn in 250-400 Hz: 320 Hz is in or out
    assert gains.max() - gains.min() > 3


def test_laptop_mic_cuts_the_bass_and_boosts_its_resonance():
    def gain(freq):
        x = burst(freq)
        return band_gain_db(x, laptop_mic(x, gen(0), cutoff_hz=(200.0, 200.0), peak_hz=(2500.0, 2500.0),
                                          peak_db=(9.0, 9.0)))
    assert (gain(60.0) < -15).all()
    assert ((gain(2500.0) - 9).abs() < 1).all()
    assert (gain(300.0).abs() < 1.5).all()  # a broad (Q = 2) presence peak: rising from 300 Hz to its centre
    assert (gain(1000.0) < gain(2000.0)).all() and (gain(2000.0) < gain(2500.0)).all()


def test_reverb_decays_at_the_drawn_rt60_and_keeps_the_energy():
    impulse = torch.zeros(4, 8000)
    impulse[:, 100] = 1.0
    out = reverb(impulse, gen(0), rt60=(0.4, 0.4), direct_to_reverberant_db=(-10.0, -10.0))
    assert torch.allclose(out.square().sum(-1), torch.ones(4), rtol=1e-4)
    assert out[:, :100].abs().max() < 1e-5  # causal: nothing before the sound
    # Schroeder's backward-integrated energy decay, fit between -5 and -25 dB, extrapolated to -60 dB (T20 x 3)
    tail = out[:, 101:4100].double()
    decay = 10 * torch.log10(tail.square().flip(-1).cumsum(-1).flip(-1) / tail.square().sum(-1, keepdim=True))
    for curve in decay:
        t5 = (curve > -5).sum().item() / RATE
        t25 = (curve > -25).sum().item() / RATE
        assert 3 * (t25 - t5) == pytest.approx(0.4, rel=0.2)


def test_reverb_smears_a_burst_past_its_end():
    x = burst(600.0, start=0.3, end=0.5)
    out = reverb(x, gen(0), rt60=(0.6, 0.6))
    after = slice(int(0.52 * RATE), int(0.7 * RATE))
    assert x[:, after].abs().max() == 0 and (out[:, after].square().sum(-1) > 1e-3 * out.square().sum(-1)).all()


def test_mu_law_codec_has_256_levels_and_phone_line_quality():
    x = burst(440.0, amplitude=0.3) + burst(1250.0, amplitude=0.2)
    out = mu_law_codec(x, gen(0))
    assert out.unique().numel() <= 256
    active = x.abs() > 0.01
    snr = 10 * torch.log10(x[active].square().sum() / (out - x)[active].square().sum())
    assert 30 < snr < 45  # G.711's SNR is about 35-38 dB over a wide range of levels
    assert torch.equal(out, mu_law_codec(x, gen(1)))  # deterministic
    assert mu_law_codec(torch.ones(1, 4), gen(0)).max() <= 1.0


def test_batched_filter_response_matches_scipy():
    from scipy import signal

    from digitfusion.training.augment.channel import sos_gain

    designs = [signal.butter(4, [300, 3400], btype="bandpass", fs=8000, output="sos"),
               signal.butter(4, [250, 3000], btype="bandpass", fs=8000, output="sos")]
    freqs = np.fft.rfftfreq(2 * 800, d=1 / 8000)
    expected = np.stack([np.abs(signal.sosfreqz(sos, worN=freqs, fs=8000)[1]) for sos in designs])
    assert np.allclose(sos_gain(np.stack(designs), 800, torch.zeros(1)).numpy(), expected, atol=1e-12)
