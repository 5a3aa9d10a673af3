"""The built-in face model `phones`: visemes with coarticulation from phone timings, ARKit
blend shapes, visemes and mouth shapes, blinks, brows and eye saccades (numpy only)."""

from .plugin import PhoneFace

__all__ = ["PhoneFace"]
