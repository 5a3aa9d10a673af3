"""The vid2vid renderer plugin: label images and 2D joints in, pictures of the person out
(onnxruntime, numpy and scipy only; torch is never imported here).

    renderer = Vid2VidRenderer(Path("renderers/me"))
    joints = project_take(motion, camera, renderer.size)
    labels = label_frames(motion, camera, renderer.size)
    for picture in renderer.render(labels, joints=joints):
        ...
    renderer.close()

Version 2 (warp, then refine): each frame is first painted by moving real pixels of the
person, part by part, from the nearest source frames of the model's bank to the target joints
over the background plate (``warp.SourceBank``); the refinement network corrects that
composite, fed back its previous picture (the first frame starts from its own warp). It
declares ``wants_joints``, so ``inference.render`` passes the joints beside the labels.
Version 1 folders (a generator painting the labels from scratch over a reference picture)
still load and render from the labels alone.
"""

import logging
import os
from pathlib import Path

import numpy as np

from ....motion.camera import Camera
from ....motion.skeleton import NUM_JOINTS
from ...neural.modeldir import ModelError, model_file, read_metadata, run_graph, session_options
from .shot import Framing, composite
from .warp import SourceBank, face_detail

log = logging.getLogger(__name__)

BACKEND = "vid2vid"
VERSION = 2
SWITCH_MARGIN = 0.15  # a part keeps last frame's sources unless the new ones are this much nearer
FADE_FRAMES = 4  # frames over which a part that switched sources fades from the old ones


def _hint(folder):
    return f"train one with `talkrig train-renderer --video YOU.mp4 -o {folder}`"


MAX_SIDE = 2048  # pixels: a renderer trained here draws 256 to 512
MAX_SHOT_SIDE = 8192  # pixels: the training video's own frame, up to 8K


def _size(value, largest=MAX_SIDE):
    """(width, height) of a model's "size" entry: two whole numbers of 16 to ``largest`` pixels."""
    if not (isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and 16 <= v <= largest for v in value)):
        raise ValueError(f"its size must be two whole numbers of 16 to {largest} pixels, got {str(value)[:60]}")
    return value[0], value[1]


def _chw(image):
    """(H, W, 3) uint8 -> (1, 3, H, W) float32 in [-1, 1]."""
    return (np.ascontiguousarray(image.transpose(2, 0, 1))[None].astype(np.float32)
            / 127.5 - 1.0)


def _hwc(x):
    return np.clip((x[0].transpose(1, 2, 0) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


MAX_BANK = 256  # source frames: a trained bank holds up to 96


def _check_bank_size(path, shape):
    """Refuse a bank whose members unpack to more than MAX_BANK frames would (a small file
    declaring gigabytes is never unpacked)."""
    import zipfile

    limit = MAX_BANK * (shape[0] * shape[1] * 3 + 4096)
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = [info.file_size for info in archive.infolist()]
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{path}: not a readable source bank ({str(exc)[:200]})") from None
    if sum(sizes) > limit:
        raise ModelError(f"{path}: a source bank of {sum(sizes) / 1e6:.0f} MB unpacked; at most "
                         f"{MAX_BANK} frames are taken")


class Vid2VidRenderer:
    """A trained vid2vid renderer. ``size`` is (width, height) of its labels and pictures;
    ``camera`` (motion.camera.Camera or None) is how the person was filmed for training: a
    take seen through it looks like the pictures the renderer learnt from. ``wants_joints``:
    ``render`` needs the (55, 2) label-pixel joints of every frame beside its label.
    ``shot_size``: (width, height) of the training video's frame when the folder keeps that
    shot's plate (None for older folders): :meth:`to_shot` puts a picture back into it."""

    name = BACKEND
    size = None  # (width, height), set from the model folder
    camera = None
    shot_size = None
    wants_joints = True
    keep_face_detail = True  # the face's fine detail from the warp (``warp.face_detail``)

    def __init__(self, model_dir, threads=None):
        from ....inference.onnx_runtime import onnxruntime

        ort = onnxruntime()

        if model_dir is None:
            raise ModelError(f"the {BACKEND} renderer needs a trained model folder; "
                             f"{_hint('RENDERER_DIR')}")
        folder = Path(model_dir).expanduser()
        self.metadata = read_metadata(folder, BACKEND)
        self.version = self.metadata.get("version", 1)
        if self.version not in (1, VERSION):
            raise ModelError(f"{folder}: a {BACKEND} renderer of version {self.version!r}; this "
                             f"talkrig renders versions 1 and {VERSION}")
        try:
            width, height = _size(self.metadata["size"])
            if self.version == 1:
                graph = self._load_v1(folder, (height, width))
            else:
                graph = self._load_v2(folder, (height, width))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{folder}: an incomplete {BACKEND} model ({exc}); "
                             f"{_hint(folder)}") from None
        if not graph.is_file():
            raise ModelError(f"{graph} is missing; {_hint(folder)}")
        camera = self.metadata.get("camera")
        self.camera = Camera.load(model_file(folder, camera, "camera")) if camera else None
        self.size = (width, height)
        if self.version == VERSION and self.metadata.get("shot"):
            self._load_shot(folder)
        options = session_options(threads or min(os.cpu_count() or 1, 4))
        try:
            self.session = ort.InferenceSession(str(graph), options,
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"{graph}: onnxruntime cannot load it ({exc})") from None
        log.debug("loaded the %s renderer (version %s) from %s (%dx%d)", BACKEND, self.version,
                  folder, width, height)

    def _load_v1(self, folder, shape):
        """The generator of a version-1 folder, its reference picture and label."""
        self.wants_joints = False
        graph = model_file(folder, self.metadata["graphs"]["generator"], "graph")
        self.reference = self._picture(model_file(folder, self.metadata["reference"],
                                                  "reference"), shape)
        self.reference_label = self._picture(
            model_file(folder, self.metadata["reference_label"], "reference label"), shape)
        return graph

    def _load_v2(self, folder, shape):
        """The refiner of a version-2 folder, its plate and source bank."""
        graph = model_file(folder, self.metadata["graphs"]["refiner"], "graph")
        self.plate = self._picture(model_file(folder, self.metadata["plate"], "plate"), shape)
        path = model_file(folder, self.metadata["bank"], "source bank")
        if not path.is_file():
            raise ModelError(f"{path} is missing; {_hint(folder)}")
        _check_bank_size(path, shape)
        try:
            with np.load(path, allow_pickle=False) as data:
                frames, joints = data["frames"], data["joints"].astype(np.float64)
                reference = int(data["reference"])
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{path}: not a readable source bank ({str(exc)[:200]})") from None
        if (frames.ndim != 4 or frames.shape[1:] != shape + (3,) or frames.dtype != np.uint8
                or joints.shape != (len(frames), NUM_JOINTS, 2) or len(frames) < 1
                or not 0 <= reference < len(frames)):
            raise ModelError(f"{path}: a bank of {frames.shape} {frames.dtype} frames and "
                             f"{joints.shape} joints, expected (K,) + {shape + (3,)} uint8 "
                             f"and (K, {NUM_JOINTS}, 2)")
        self.bank = SourceBank(frames, joints, reference, self.plate)
        return graph

    def _load_shot(self, folder):
        """The training shot's size and plate (a version-2 folder written since the shot)."""
        try:
            shot = self.metadata["shot"]
            width, height = _size(shot["size"], MAX_SHOT_SIDE)
            self.shot_plate = self._picture(model_file(folder, shot["plate"], "shot plate"), (height, width))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{folder}: its shot is incomplete ({exc}); {_hint(folder)}") from None
        self.shot_size = (width, height)
        self.framing = Framing(self.shot_size, self.size)

    def to_shot(self, picture):
        """(H, W, 3) uint8: a picture of :meth:`render` scaled back into the training shot over
        its plate (``shot.composite``)."""
        return composite(picture, self.plate, self.shot_plate, self.framing)

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

    def _label(self, k, label):
        width, height = self.size
        label = np.asarray(label)
        if label.shape != (height, width, 3) or label.dtype != np.uint8:
            raise ModelError(f"label {k} is a {label.shape} {label.dtype} array; this "
                             f"renderer draws ({height}, {width}, 3) uint8 labels")
        return _chw(label)

    def render(self, labels, joints=None):
        """Yield one (H, W, 3) uint8 picture per (H, W, 3) uint8 label, in order.
        joints : (N, 55, 2) label pixels of the same frames (or an iterable of (55, 2));
        needed by a version-2 renderer, ignored by a version-1 one."""
        if self.version == 1:
            yield from self._render_v1(labels)
            return
        if joints is None:
            raise ModelError(f"this {BACKEND} renderer follows the skeleton: give the frames' "
                             "2D joints beside the labels (render with `talkrig render`)")
        prev = None
        for k, (label, (points, picture, cover)) in enumerate(zip(labels, self._warps(joints))):
            current = self._label(k, label)
            warped = _chw(picture)
            prev = run_graph(self.session, {
                "warped": warped, "label": current, "coverage": cover[None, None],
                "prev_frame": warped if prev is None else prev}, "the renderer's graph")[0]
            # the network is fed back its own picture, as it was trained; the face's fine
            # detail is the warp's (``warp.face_detail``)
            refined = _hwc(prev)
            yield face_detail(refined, picture, points) if self.keep_face_detail else refined

    def warps(self, joints):
        """Yield (warped picture (H, W, 3) uint8, coverage (H, W)) of each frame's (55, 2)
        label-pixel joints: the first half of :meth:`render`, before the network."""
        for _, picture, cover in self._warps(joints):
            yield picture, cover

    def _warps(self, joints):
        """Yield (joints, warped picture, coverage) per frame (see :meth:`warps`)."""
        sources, fading = None, {}
        for k, points in enumerate(joints):
            points = np.asarray(points, np.float64)
            if points.shape != (NUM_JOINTS, 2):
                raise ModelError(f"joints of frame {k} are {points.shape}; expected "
                                 f"({NUM_JOINTS}, 2) label pixels")
            previous, sources = sources, self._sources(points, sources)
            fading = _fades(previous, sources, fading)
            yield (points, *self.bank.warp(points, self.plate, sources=sources,
                                           fading=fade_weights(fading)))

    def _sources(self, points, previous):
        """The nearest sources per pose group, keeping last frame's where they are nearly as
        near (a source switching back and forth makes the part flicker)."""
        nearest = self.bank.nearest(points)
        if previous is None:
            return nearest
        distance = self.bank.group_distances(points)
        kept = {}
        for group, rows in nearest.items():
            old = previous[group]
            d = distance[group]
            kept[group] = old if d[old[0]] <= d[rows[0]] * (1 + SWITCH_MARGIN) + 1e-9 else rows
        return kept

    def _render_v1(self, labels):
        prev, prev_label = _chw(self.reference), _chw(self.reference_label)
        ref = _chw(self.reference)
        for k, label in enumerate(labels):
            current = self._label(k, label)
            prev = run_graph(self.session, {"label": current, "prev_label": prev_label,
                                            "prev_frame": prev, "reference": ref},
                             "the renderer's graph")[0]
            prev_label = current
            yield _hwc(prev)

    def close(self):
        self.session = None


def _fades(previous, sources, fading):
    """{group: (rows, frames left)} of the sources each pose group is fading out from: a group
    that switched sources starts a fade of ``FADE_FRAMES`` from the ones it left (a part that
    pops from one picture of the person to another flickers); others count down."""
    out = {g: (rows, left - 1) for g, (rows, left) in fading.items() if left > 1}
    if previous is not None:
        for group, rows in sources.items():
            if rows != previous[group]:
                out[group] = (previous[group], FADE_FRAMES)
    return out


def fade_weights(fading):
    """{group: (rows, weight)} for ``SourceBank.warp`` from :func:`_fades`' frames left: the
    old sources weigh 4/5, 3/5, ... 1/5 over a fade of four frames."""
    return {g: (rows, left / (FADE_FRAMES + 1)) for g, (rows, left) in fading.items()}
