"""vid2vid renderer (Speech2Video §3.5): the skeleton pass of a take -> pictures of the person.

``renderer`` serves a trained model with onnxruntime; ``pairs`` (numpy, PyAV) pairs a video with
its skeleton pass; ``model``, ``losses`` and ``train`` (torch) are imported only by
``talkrig train-renderer``.
"""

from .renderer import Vid2VidRenderer

__all__ = ["Vid2VidRenderer"]
