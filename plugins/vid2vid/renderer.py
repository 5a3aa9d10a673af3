"""The vid2vid renderer plugin: label images in, pictures of the person out (onnxruntime and
numpy only; torch is never imported here).

    renderer = Vid2VidRenderer(Path("renderers/me"))
    for picture in renderer.render(label_frames(motion, camera, renderer.size)):
        ...
    renderer.close()

The generator is fed back its previous picture, as it was trained; the first frame starts
from the reference picture of the person saved beside the model.
"""

import logging
import os
from pathlib import Path

import numpy as np

from ...motion.camera import Camera
from ..neural.modeldir import ModelError, model_file, read_metadata, run_graph, session_options

log = logging.getLogger(__name__)

BACKEND = "vid2vid"


def _hint(folder):
    return f"train one with `talkrig train-renderer --video YOU.mp4 -o {folder}`"


MAX_SIDE = 2048  # pixels: a renderer trained here draws 256 to 512


def _size(value):
    """(width, height) of a model's "size" entry: two whole numbers of 16 to MAX_SIDE pixels."""
    if not (isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and 16 <= v <= MAX_SIDE for v in value)):
        raise ValueError(f"its size must be two whole numbers of 16 to {MAX_SIDE} pixels, got {str(value)[:60]}")
    return value[0], value[1]


def _chw(image):
    """(H, W, 3) uint8 -> (1, 3, H, W) float32 in [-1, 1]."""
    return (np.ascontiguousarray(image.transpose(2, 0, 1))[None].astype(np.float32)
            / 127.5 - 1.0)


def _hwc(x):
    return np.clip((x[0].transpose(1, 2, 0) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


class Vid2VidRenderer:
    """A trained vid2vid renderer. ``size`` is (width, height) of its labels and pictures;
    ``camera`` (motion.camera.Camera or None) is how the person was filmed for training: a
    take seen through it looks like the pictures the renderer learnt from."""

    name = BACKEND
    size = None  # (width, height), set from the model folder
    camera = None

    def __init__(self, model_dir, threads=None):
        import onnxruntime as ort

        if model_dir is None:
            raise ModelError(f"the {BACKEND} renderer needs a trained model folder; "
                             f"{_hint('RENDERER_DIR')}")
        folder = Path(model_dir).expanduser()
        try:
            self.metadata = read_metadata(folder, BACKEND)
            width, height = _size(self.metadata["size"])
            graph = model_file(folder, self.metadata["graphs"]["generator"], "graph")
            self.reference = self._picture(model_file(folder, self.metadata["reference"], "reference"),
                                           (height, width))
            self.reference_label = self._picture(
                model_file(folder, self.metadata["reference_label"], "reference label"), (height, width))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{folder}: an incomplete {BACKEND} model ({exc}); "
                             f"{_hint(folder)}") from None
        if not graph.is_file():
            raise ModelError(f"{graph} is missing; {_hint(folder)}")
        camera = self.metadata.get("camera")
        self.camera = Camera.load(model_file(folder, camera, "camera")) if camera else None
        self.size = (width, height)
        options = session_options(threads or min(os.cpu_count() or 1, 4))
        try:
            self.session = ort.InferenceSession(str(graph), options,
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"{graph}: onnxruntime cannot load it ({exc})") from None
        self._ref = _chw(self.reference)
        log.debug("loaded the %s renderer from %s (%dx%d)", BACKEND, folder, width, height)

    @staticmethod
    def _picture(path, shape):
        if not path.is_file():
            raise ModelError(f"{path} is missing; {_hint(path.parent)}")
        try:  # mapped: a header declaring more than the file holds is refused, not allocated
            picture = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ModelError(f"{path}: not a readable picture ({str(exc)[:200]})") from None
        if picture.shape != shape + (3,) or picture.dtype != np.uint8:
            raise ModelError(f"{path}: a {picture.shape} {picture.dtype} array, expected "
                             f"{shape + (3,)} uint8")
        return np.array(picture)

    def render(self, labels):
        """Yield one (H, W, 3) uint8 picture per (H, W, 3) uint8 label, in order."""
        width, height = self.size
        prev, prev_label = self._ref, _chw(self.reference_label)
        for k, label in enumerate(labels):
            label = np.asarray(label)
            if label.shape != (height, width, 3) or label.dtype != np.uint8:
                raise ModelError(f"label {k} is a {label.shape} {label.dtype} array; this "
                                 f"renderer draws ({height}, {width}, 3) uint8 labels")
            current = _chw(label)
            prev = run_graph(self.session, {"label": current, "prev_label": prev_label,
                                            "prev_frame": prev, "reference": self._ref}, "the renderer's graph")[0]
            prev_label = current
            yield _hwc(prev)

    def close(self):
        self.session = None
