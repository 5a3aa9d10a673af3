"""Speech2Video generator (Liao et al. 2020): a two-layer LSTM from speech features to SMPL-X.

``generator`` serves a trained model with onnxruntime; ``model`` and ``train`` (torch) are
imported only by ``talkrig train --backend s2v``.
"""

from .generator import Speech2VideoGenerator

__all__ = ["Speech2VideoGenerator"]
