"""Lip-sync timing measures (motion/metrics/lipsync.py) on curves whose answer is known."""

import numpy as np
import pytest

from talkrig.inference.speech.words import Phone
from talkrig.motion.metrics.lipsync import closure_errors, opening_rate, vowel_errors

FPS = 100.0


def test_closures_are_found_timed_and_missed():
    gap = np.full(300, 0.01)
    gap[50:60] = 0.0  # shut 0.50-0.59 s, opening again after
    gap[49] = 0.002  # closing
    gap[200:210] = 0.0005  # shut 2.00-2.09 s
    phones = [Phone("M", 0.52, 0.58), Phone("B", 2.15, 2.2), Phone("P", 1.2, 1.25), Phone("AA", 0.6, 0.7)]
    errors, onsets, missed = closure_errors(gap, FPS, phones)
    assert missed == 1  # the p at 1.2 s has no closure within 100 ms
    np.testing.assert_allclose(errors, [0.0, 0.06], atol=1e-9)  # inside; 60 ms before the b
    # the first closure starts where the gap crosses 1 mm: between 0.49 (2 mm) and 0.50 (0 mm)
    assert onsets[0] == pytest.approx(0.52 - 0.495, abs=1e-9)
    assert len(onsets) == 1  # the second closure was already shut 100 ms before the b: no onset


def test_vowel_opening_and_rate():
    t = np.arange(400) / FPS
    jaw = np.maximum(np.sin(2 * np.pi * t), 0.0)  # opens once a second, widest at 0.25 s, 1.25 s ...
    phones = [Phone("AA", 0.2, 0.3), Phone("IY", 1.28, 1.34), Phone("M", 0.5, 0.6)]
    np.testing.assert_allclose(vowel_errors(jaw, FPS, phones), [0.0, 0.06], atol=1e-9)
    assert opening_rate(jaw, FPS) == pytest.approx(1.0)  # four openings in four seconds
    assert opening_rate(np.zeros(100), FPS) == 0.0
