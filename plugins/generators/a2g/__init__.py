"""Audio2Gestures generator (Li et al., ICCV 2021): a conditional VAE with a latent code split
into an audio-shared part and a motion-specific part.

``generator`` serves a trained model with onnxruntime; ``model`` and ``train`` (torch) are
imported only by ``talkrig train --backend a2g``.
"""

from .generator import Audio2GesturesGenerator

__all__ = ["Audio2GesturesGenerator"]
