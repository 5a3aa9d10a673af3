"""Landmark detectors for capture from video (the ``talkrig.landmarks`` entry points)."""
