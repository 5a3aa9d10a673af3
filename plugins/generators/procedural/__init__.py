"""The embedded default generator: prosody-driven gestures, no data, no trained weights."""

from .generator import ProceduralGenerator

__all__ = ["ProceduralGenerator"]
