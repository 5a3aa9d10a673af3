"""Shared pieces of the neural generators (a2g, dr2, ldm, s2v), numpy and onnxruntime only.

``layout`` maps Motion <-> the pose vectors the networks predict, ``modeldir`` reads and writes a
trained model's folder (ONNX files + metadata JSON), ``textcode`` turns word timings into
per-frame text encodings. Everything that needs torch lives in ``neural.training`` and is
imported only by ``talkrig train``.
"""
