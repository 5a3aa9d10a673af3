"""Motion matching over a user's mocap library (SMPL-X npz takes with their audio)."""

from .generator import MatchingGenerator

__all__ = ["MatchingGenerator"]
