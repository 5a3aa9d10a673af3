"""DR² generator (disentangled recurrent representation learning, WACV 2024): an audio U-Net
and an initial-pose code drive three part decoders, window after window.

``generator`` serves a trained model with onnxruntime; ``model`` and ``train`` (torch) are
imported only by ``talkrig train --backend dr2``.
"""

from .generator import DR2Generator

__all__ = ["DR2Generator"]
