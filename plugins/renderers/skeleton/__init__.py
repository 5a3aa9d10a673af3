"""The built-in ``skeleton`` renderer: the label images themselves, unchanged.

It shows exactly what a neural renderer is given (the skeleton pass of the take through the
camera) and needs no trained model, so ``talkrig render --renderer skeleton`` previews the
framing and the motion, and the whole rendering path runs without a model.
"""

from ....motion.errors import TalkrigError


class SkeletonRenderer:
    """Renders at any size (``size`` is None: the caller chooses it)."""

    name = "skeleton"
    size = None

    def __init__(self, model_dir=None):
        if model_dir is not None:
            raise TalkrigError(f"the skeleton renderer needs no model folder (got {model_dir}); "
                               "give --renderer skeleton alone, or a trained renderer's folder")

    def render(self, labels):
        """Yield each label image (H, W, 3) uint8 as the rendered frame."""
        yield from labels

    def close(self):
        pass
