"""Training pairs for the renderer: every frame of a person's video beside the skeleton pass
drawn from its captured motion and camera (numpy + PyAV, no torch).

A take is a stretch of the video with its SMPL-X motion (``TAKE.npz``), the camera that films
it (``TAKE.camera.json``) and where it starts in the video. ``find_takes`` reads them from a
capture folder: the capture summary ``VIDEO.capture.json`` lists the shots that became takes
(those whose framing moves are left out: their camera is fitted as a fixed one);
without one, ``VIDEO.npz`` + ``VIDEO.camera.json`` is a single take starting at 0 s.
"""

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ....motion.camera import Camera
from ....motion.errors import TalkrigError
from ....motion.files import load_motion
from ....motion.skeleton_pass import draw_skeleton_pass, fit_frame, part_boxes, project_take
from .shot import shot_plate

log = logging.getLogger(__name__)

PART_ORDER = ("face", "left_hand", "right_hand")
CAMERA_SUFFIX = ".camera.json"
SHOT_FRAMES = 60  # full-size frames kept for the shot's plate (a median of this many sees the wall)


class RendererDataError(TalkrigError):
    """The video and its takes cannot be paired."""


@dataclass
class Take:
    """motion : Motion; camera : Camera; start : seconds into the video; name : file stem."""

    motion: object
    camera: Camera
    start: float
    name: str


def _take(folder, stem, start):
    npz = Path(folder) / f"{stem}.npz"
    cam = Path(folder) / f"{stem}{CAMERA_SUFFIX}"
    if not npz.is_file():
        raise RendererDataError(f"{npz}: the take is missing")
    if not cam.is_file():
        raise RendererDataError(f"{cam}: no camera for the take {stem} (capture writes it beside "
                                "the take; capture the video again)")
    return Take(motion=load_motion(npz), camera=Camera.load(cam), start=float(start), name=stem)


def find_takes(video, folder):
    """The takes of ``video`` in the capture folder ``folder`` (list of :class:`Take`)."""
    video, folder = Path(video), Path(folder)
    if not folder.is_dir():
        raise RendererDataError(f"{folder}: no such folder of takes")
    summary = folder / f"{video.stem}.capture.json"
    if summary.is_file():
        try:
            shots = json.loads(summary.read_text())["shots"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RendererDataError(f"{summary}: not a readable capture summary ({exc})") from None
        shots = [s for s in shots if s.get("take")]
        steady = [s for s in shots if s.get("framing") != "moving"]
        if shots and not steady:
            raise RendererDataError(f"{summary}: the camera zooms or pans in every take of "
                                    f"{video.name}; a renderer needs a shot from a fixed camera")
        for s in shots:
            if s not in steady:
                log.info("take %s left out: the camera zooms or pans", s["take"])
        takes = [_take(folder, s["take"], s["start"]) for s in steady]
    elif (folder / f"{video.stem}.npz").is_file():
        takes = [_take(folder, video.stem, 0.0)]
    else:
        raise RendererDataError(f"{folder} holds no takes of {video.name} (neither "
                                f"{summary.name} nor {video.stem}.npz)")
    if not takes:
        raise RendererDataError(f"{summary}: no shot of {video.name} became a take")
    return takes


@dataclass
class Pairs:
    """Frames and labels at the renderer's size, in video order.

    frames, labels : (N, H, W, 3) uint8. boxes : (N, 3, 4) int (x0, y0, x1, y1) of the face,
    left and right hand (see ``part_boxes``). joints : (N, 55, 2) label pixels.
    segment : (N,) int, the take each frame belongs to (frames follow each other only inside
    a take). n_train : the first n_train frames train, the rest (the tail) validate.
    pose_held : (N,) bool, frames among the first n_train held out by pose (see
    :func:`hold_out_poses`): they never train.
    shot_plate : (H', W', 3) uint8, the wall of the video's whole shot at its own size
    (``shot.shot_plate`` of SHOT_FRAMES of its frames, evenly spaced), or None.
    """

    frames: np.ndarray
    labels: np.ndarray
    boxes: np.ndarray
    joints: np.ndarray
    segment: np.ndarray
    n_train: int
    takes: list = field(default_factory=list)
    pose_held: np.ndarray = None
    shot_plate: np.ndarray = None

    def __post_init__(self):
        if self.pose_held is None:
            self.pose_held = np.zeros(len(self.frames), bool)

    @property
    def fps(self):
        return float(self.takes[0].motion.fps) if self.takes else 30.0

    def trainable(self):
        """(N,) bool: the frames training may see (before the tail, not held out by pose)."""
        ok = np.arange(len(self.frames)) < self.n_train
        return ok & ~self.pose_held

    def train_starts(self, history=2):
        """Training indices t whose ``history`` previous frames are in the same take and all
        trainable."""
        t = self.starts(0, self.n_train, history)
        ok = self.trainable()
        keep = np.all([ok[t - k] for k in range(history + 1)], axis=0)
        return t[keep]

    def starts(self, lo, hi, history=2):
        """Indices t in [lo, hi) whose ``history`` previous frames are in the same take."""
        t = np.arange(max(lo, history), hi)
        ok = self.segment[t] == self.segment[t - history]
        return t[ok]


def video_frames(video, fps, start, count):
    """Yield up to ``count`` frames (H, W, 3) uint8 of ``video`` from ``start`` seconds at
    ``fps``, one at a time: a take is never held whole at the video's size (two minutes of
    1080p would be 22 GB)."""
    try:
        from ....inference.capture.video import iter_frames
        import av  # noqa: F401  (the reader's decoder)
    except ImportError:
        raise RendererDataError("reading videos needs PyAV: pip install 'talkrig[capture]'") \
            from None
    end = start + (count + 0.5) / fps
    for k, (_, _, rgb) in enumerate(iter_frames(video, fps=fps, start=start, end=end)):
        if k >= count:
            return
        yield rgb


def load_pairs(video, takes, size, val_split=0.2, progress=None):
    """Pair every frame of every take with its label (see :class:`Pairs`).

    size : (width, height) of the renderer. val_split : share of frames held out at the end.
    progress(fraction) : called as the frames are read (every 30), the shot's wall last.
    """
    frames, labels, boxes, joints, segment, shot = [], [], [], [], [], []
    total = sum(t.motion.n_frames for t in takes)
    stride = max(1, -(-total // SHOT_FRAMES))
    for k, take in enumerate(takes):
        px = project_take(take.motion, take.camera, size)
        read = 0
        for picture, points in zip(video_frames(video, take.motion.fps, take.start, len(px)), px):
            if len(frames) % stride == 0 and len(shot) < SHOT_FRAMES:
                shot.append((len(frames), picture))
            frames.append(fit_frame(picture, size))
            labels.append(draw_skeleton_pass(points, size))
            found = part_boxes(points, size)
            boxes.append([found[p] for p in PART_ORDER])
            read += 1
            if progress is not None and len(frames) % 30 == 0:
                progress(0.95 * len(frames) / total)  # the shot's wall is the last 5 %
        if read < len(px):
            log.warning("%s: the video ends %d frames before the take %s", video, len(px) - read, take.name)
            px = px[:read]
        joints.append(px)
        segment.extend([k] * len(px))
    if len(frames) < 10:
        raise RendererDataError(f"{video}: only {len(frames)} frames pair with the takes; "
                                "a renderer needs at least 10")
    n = len(frames)
    n_train = int(round(n * (1.0 - val_split)))
    joints = np.concatenate(joints)
    wall = shot_plate(np.stack([p for _, p in shot]), joints[[r for r, _ in shot]], size)
    if progress is not None:
        progress(1.0)
    return Pairs(frames=np.stack(frames), labels=np.stack(labels),
                 boxes=np.asarray(boxes, np.int64), joints=joints,
                 segment=np.asarray(segment), n_train=min(max(n_train, 3), n), takes=takes,
                 shot_plate=wall)


def hold_out_poses(pairs, share, window_seconds=2.0, margin_seconds=0.5):
    """Mark the ``share`` of training frames whose pose is farthest from every other training
    pose (normalised 2D skeletons, frames within ``window_seconds`` of it in the same take not
    counting) as ``pairs.pose_held``, with their neighbours within ``margin_seconds`` (near in
    pose, they would teach the held poses). Returns the indices of the held poses themselves."""
    from .warp import pose_distances, pose_features

    n = pairs.n_train
    pairs.pose_held = np.zeros(len(pairs.frames), bool)
    if share <= 0 or n < 10:
        return np.zeros(0, np.int64)
    feats = pose_features(pairs.joints[:n])
    t = np.arange(n)
    window = window_seconds * pairs.fps
    seg = pairs.segment[:n]
    far = np.empty(n)
    for lo in range(0, n, 256):
        d = pose_distances(feats[lo:lo + 256], feats)
        near = ((np.abs(t[lo:lo + 256, None] - t[None]) <= window)
                & (seg[lo:lo + 256, None] == seg[None]))
        far[lo:lo + 256] = np.where(near, np.inf, d).min(axis=1)
    far = np.where(np.isfinite(far), far, -1.0)
    count = max(int(round(share * n)), 1)
    held = np.sort(np.argsort(-far, kind="stable")[:count])
    margin = margin_seconds * pairs.fps
    for k in held:
        pairs.pose_held[:n] |= ((np.abs(t - k) <= margin)
                                & (pairs.segment[:n] == pairs.segment[k]))
    return held


def warp_pairs(pairs, bank, rows, plate, window_seconds=2.0, progress=None):
    """The warped composite (N, H, W, 3) uint8 and its coverage (N, H, W) uint8 (0-255) of
    every frame, each from the bank's sources nearest in pose except frames within
    ``window_seconds`` of it in the same take (else training learns to copy its source).

    bank : warp.SourceBank of frames ``rows`` (indices into the pairs)."""
    n = len(pairs.frames)
    h, w = pairs.frames.shape[1:3]
    warped = np.empty((n, h, w, 3), np.uint8)
    cover = np.empty((n, h, w), np.uint8)
    window = window_seconds * pairs.fps
    rows = np.asarray(rows)
    for t in range(n):
        exclude = (np.abs(rows - t) <= window) & (pairs.segment[rows] == pairs.segment[t])
        if exclude.all():
            exclude = None
        picture, coverage = bank.warp(pairs.joints[t], plate, exclude=exclude)
        warped[t] = picture
        cover[t] = np.round(coverage * 255)
        if progress is not None and (t % 50 == 0 or t == n - 1):
            progress((t + 1) / n)
    return warped, cover
