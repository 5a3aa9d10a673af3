"""Motion split into frequency bands: a zero-phase gain per band, and each band's size."""

import numpy as np

from talkrig.motion.bands import attenuate_to, band_rms, zero_phase

BANDS = ((0.1, 0.25), (0.25, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 8.0))
FPS = 30.0
T = np.arange(900) / FPS


def test_a_sinusoid_is_measured_in_its_own_band():
    rms = band_rms((0.3 * np.sin(2 * np.pi * 0.7 * T) + 1.5)[:, None], BANDS, FPS)[:, 0]
    assert abs(rms[2] - 0.3 / np.sqrt(2)) < 0.01  # the 0.5-1 Hz band; the offset is no motion
    assert np.all(np.delete(rms, 2) < 0.2 * rms[2]) and rms[5] < 0.02 * rms[2]  # spectral leakage only


def test_a_gain_turns_down_its_band_alone_without_shifting_it():
    slow, quick = 0.2 * np.sin(2 * np.pi * 0.35 * T), 0.05 * np.sin(2 * np.pi * 3.0 * T)
    columns = np.stack([slow + quick + 1.0, slow], axis=1)
    gains = np.ones((len(BANDS), 2))
    gains[4, 0] = 0.25  # the first column's 2-4 Hz band
    out = zero_phase(columns, gains, BANDS, FPS)
    np.testing.assert_allclose(out[:, 1], columns[:, 1], atol=1e-9)  # its own gains, all 1
    inner = slice(60, -60)
    np.testing.assert_allclose(out[inner, 0], (slow + 0.25 * quick + 1.0)[inner], atol=0.004)
    np.testing.assert_allclose(zero_phase(columns, np.ones(len(BANDS)), BANDS, FPS), columns)


def test_a_band_above_the_target_comes_down_to_it_and_nothing_else_moves():
    slow, quick = 0.2 * np.sin(2 * np.pi * 0.35 * T), 0.05 * np.sin(2 * np.pi * 3.0 * T)
    columns = np.stack([slow + quick + 0.7, slow + 0.2 * quick], axis=1)
    target = band_rms(columns, BANDS, FPS) * 2.0  # every band of both well inside
    target[4, 0] = 0.25 * band_rms(columns, BANDS, FPS)[4, 0]  # but the first column's 2-4 Hz
    out = attenuate_to(columns, target, BANDS, FPS)
    np.testing.assert_array_equal(out[:, 1], columns[:, 1])  # under its target: untouched
    after = band_rms(out, BANDS, FPS)
    assert abs(after[4, 0] / target[4, 0] - 1.0) < 0.05
    inner = slice(60, -60)
    np.testing.assert_allclose(out[inner, 0], (slow + 0.25 * quick + 0.7)[inner], atol=0.004)
