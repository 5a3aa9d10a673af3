"""Gesturing through speech: the longest stretch of speech without a hand stroke."""

import numpy as np
import pytest

from talkrig.motion import Motion
from talkrig.motion.metrics import longest_idle_speech


def standing(n, fps=30.0):
    trans = np.zeros((n, 3), np.float32)
    trans[:, 1] = 1.3
    return Motion(poses=np.zeros((n, 55, 3), np.float32), trans=trans, fps=fps)


def test_longest_idle_speech_counts_speech_without_strokes():
    n = 300
    m = standing(n)
    t = np.arange(n) / 30.0
    m.poses[:, 18, 1] = -0.8 - 0.6 * np.sin(2 * np.pi * 1.5 * t) * (t < 4.0)  # strokes until 4 s
    speaking = np.ones(n, bool)
    assert longest_idle_speech(m, speaking) == pytest.approx(6.0, abs=0.2)  # 4 s .. 10 s idle
    speaking[150:] = False  # but the speaker stops at 5 s
    assert longest_idle_speech(m, speaking) == pytest.approx(1.0, abs=0.2)
    assert longest_idle_speech(m, np.zeros(n, bool)) == 0.0
