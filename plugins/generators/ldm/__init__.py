"""Latent motion diffusion (the latent-deviation paper's stage 2): a motion autoencoder gives
latent motion features, and a denoiser generates the next ones from the speech and the four
features before them.

``generator`` (with ``schedule``) serves a trained model with onnxruntime and numpy; ``model``
and ``train`` (torch) are imported only by ``talkrig train --backend ldm``.
"""

from .generator import LatentDiffusionGenerator

__all__ = ["LatentDiffusionGenerator"]
