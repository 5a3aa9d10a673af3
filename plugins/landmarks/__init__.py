"""Landmark detectors for capture from video (entry-point group ``talkrig.landmarks``)."""
