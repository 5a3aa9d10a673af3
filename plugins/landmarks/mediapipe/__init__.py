"""The ``mediapipe`` landmark detector for capture from video (entry-point group
``talkrig.landmarks``): MediaPipe Holistic's body, hand and face landmarks."""

from .mediapipe_holistic import MediapipeHolistic

__all__ = ["MediapipeHolistic"]
