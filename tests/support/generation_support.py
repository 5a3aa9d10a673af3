"""Helpers shared by the generation tests."""

import numpy as np

from talkrig.inference.features.compute import AudioFeatures


def silent_features(n_frames, fps=30.0):
    """AudioFeatures of n_frames of silence (no onsets, no voicing)."""
    return AudioFeatures(fps=fps, sample_rate=16000, duration=n_frames / fps,
                         mel=np.zeros((n_frames, 64), np.float32), mfcc=np.zeros((n_frames, 28), np.float32),
                         onset_strength=np.zeros(n_frames, np.float32), onset_times=np.zeros(0),
                         rms=np.zeros(n_frames, np.float32), f0=np.zeros(n_frames, np.float32),
                         voiced=np.zeros(n_frames, bool))
