"""A pinhole camera that filmed a take: intrinsics, pose, and where the take's joints land in
the image (numpy only).

Written beside a rendered video (``VIDEO.camera.json``) so whoever reads the video knows the
ground truth in pixels: ``camera.project(skeleton.joint_positions(motion))``.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import MotionValueError
from .jsonfile import JsonFileError, read_json


@dataclass
class Camera:
    """A pinhole camera looking down its own -z axis (y up in the image), Blender's convention.

    width, height : image size in pixels.
    focal : focal length in pixels (square pixels); the principal point is the image centre.
    world_from_camera : (4, 4) camera pose in the scene's world (metres).
    world_from_motion : (4, 4) similarity placing the take's SMPL-X frame (y up, metres) in
        that world (the character's scale, turn and position).
    fps : frames per second of the video.
    """

    width: int
    height: int
    focal: float
    world_from_camera: np.ndarray
    world_from_motion: np.ndarray
    fps: float = 30.0

    def project(self, points):
        """Pixel coordinates of points given in the take's SMPL-X frame.

        points : (..., 3) metres. Returns (..., 2) pixels (x right, y down) and (...,) depth
        in metres in front of the camera (negative: behind it).
        """
        p = np.asarray(points, dtype=np.float64)
        homog = np.concatenate([p, np.ones(p.shape[:-1] + (1,))], axis=-1)
        camera_from_motion = np.linalg.inv(self.world_from_camera) @ self.world_from_motion
        c = homog @ camera_from_motion.T
        depth = -c[..., 2]
        safe = np.where(np.abs(depth) < 1e-9, 1e-9, depth)
        u = self.width / 2 + self.focal * c[..., 0] / safe
        v = self.height / 2 - self.focal * c[..., 1] / safe
        return np.stack([u, v], axis=-1), depth

    def to_dict(self):
        return {
            "width": int(self.width), "height": int(self.height), "focal": float(self.focal),
            "fps": float(self.fps),
            "world_from_camera": np.asarray(self.world_from_camera).tolist(),
            "world_from_motion": np.asarray(self.world_from_motion).tolist(),
        }

    @classmethod
    def from_dict(cls, data, label="camera"):
        """A camera from its description, every value checked: sizes of 1 to MAX_SIZE pixels, a
        positive finite focal length and frame rate, finite matrices that can be inverted."""
        try:
            if not isinstance(data, dict):
                raise TypeError("not an object of camera fields")
            cam = cls(width=_whole(data["width"]), height=_whole(data["height"]),
                      focal=float(data["focal"]), fps=float(data.get("fps", 30.0)),
                      world_from_camera=_matrix(data["world_from_camera"]),
                      world_from_motion=_matrix(data["world_from_motion"]))
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise MotionValueError(f"{label}: not a camera description ({str(exc)[:120]})") from None
        for key in ("width", "height"):
            if not 1 <= getattr(cam, key) <= MAX_SIZE:
                raise MotionValueError(f"{label}: {key} must be 1 to {MAX_SIZE} pixels, got {getattr(cam, key)}")
        if not (np.isfinite(cam.focal) and cam.focal > 0):
            raise MotionValueError(f"{label}: focal must be a positive number of pixels, got {cam.focal}")
        if not (np.isfinite(cam.fps) and MIN_FPS <= cam.fps <= MAX_FPS):
            raise MotionValueError(f"{label}: fps must be {MIN_FPS:g} to {MAX_FPS:g}, got {cam.fps}")
        for key in ("world_from_camera", "world_from_motion"):
            m = getattr(cam, key)
            if m.shape != (4, 4):
                raise MotionValueError(f"{label}: {key} must be a 4x4 matrix")
            if not np.all(np.isfinite(m)) or abs(np.linalg.det(m[:3, :3])) < 1e-9:
                raise MotionValueError(f"{label}: {key} must be a finite matrix that can be inverted")
        return cam

    def save(self, path):
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load(cls, path):
        try:
            data = read_json(Path(path), "camera description", max_bytes=1024 * 1024)
        except JsonFileError as exc:
            raise MotionValueError(str(exc)) from None
        return cls.from_dict(data, label=str(path))


MAX_SIZE = 16384  # pixels a side
MIN_FPS, MAX_FPS = 1.0, 1000.0


def _whole(value):
    """An int from a JSON number that is one (a float such as 1e300 or nan is refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) < 2 ** 31 \
            or value != int(value):
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


def _matrix(value):
    """A (4, 4) float matrix from nested lists of numbers (anything else refused)."""
    if not (isinstance(value, list) and len(value) == 4
            and all(isinstance(row, list) and len(row) == 4 for row in value)):
        raise ValueError("a matrix must be 4 rows of 4 numbers")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for row in value for v in row):
        raise ValueError("a matrix must hold numbers")
    return np.array(value, dtype=np.float64)


def similarity(source, target):
    """The similarity (4, 4) that best maps ``source`` points onto ``target`` (least squares,
    Umeyama's method), and the RMS residual in target units.

    source, target : (N, 3) corresponding points.
    """
    a = np.asarray(source, dtype=np.float64)
    b = np.asarray(target, dtype=np.float64)
    ma, mb = a.mean(axis=0), b.mean(axis=0)
    da, db = a - ma, b - mb
    u, s, vt = np.linalg.svd(db.T @ da / len(a))
    d = np.ones(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rot = u @ np.diag(d) @ vt
    scale = float((s * d).sum() / max((da ** 2).sum() / len(a), 1e-12))
    m = np.eye(4)
    m[:3, :3] = scale * rot
    m[:3, 3] = mb - scale * rot @ ma
    residual = float(np.sqrt(((a @ m[:3, :3].T + m[:3, 3] - b) ** 2).sum(axis=1).mean()))
    return m, residual


UPPER_BODY_FIELD_OF_VIEW = np.radians(30.0)  # vertical; a portrait lens, little perspective
UPPER_BODY_MARGIN = 1.12  # of the framed extent: room around the head and the hands
_UPPER_BODY_SAMPLES = 240  # frames looked at to frame a long take


def upper_body_camera(motion, size, skeleton=None):
    """A fixed camera in front of the speaker that frames the upper body over the whole take
    (hips to the top of the head, the hands' reach): what the command line renders through
    when no camera is given.

    motion : Motion; size : (width, height) pixels. The camera faces the speaker's median
    facing direction (from the hips), level, and stands far enough back that the upper-body
    joints of every sampled frame fit inside the image with a margin.
    """
    from .skeleton import JOINT_INDEX, LOWER_BODY, neutral_skeleton

    width, height = (int(v) for v in size)
    if width < 1 or height < 1:
        raise MotionValueError(f"camera size must be positive, got {size}")
    skeleton = skeleton or neutral_skeleton()
    frames = np.unique(np.linspace(0, motion.n_frames - 1, _UPPER_BODY_SAMPLES).astype(int))
    joints = skeleton.forward_kinematics(motion.poses[frames], motion.trans[frames])[1]
    up = np.array([0.0, 1.0, 0.0])
    left = joints[:, JOINT_INDEX["left_hip"]] - joints[:, JOINT_INDEX["right_hip"]]
    left = np.median(left, axis=0) * [1.0, 0.0, 1.0]
    if np.linalg.norm(left) < 1e-6:
        left = np.array([1.0, 0.0, 0.0])
    left /= np.linalg.norm(left)
    facing = np.cross(left, up)  # SMPL-X: x left, y up, z forward
    right_in_image = np.cross(up, facing)  # the camera's x axis (the speaker's left)
    upper = np.setdiff1d(np.arange(joints.shape[1]), LOWER_BODY)
    points = joints[:, upper].reshape(-1, 3)
    x, y, z = points @ right_in_image, points @ up, points @ facing
    cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
    tan_v = np.tan(UPPER_BODY_FIELD_OF_VIEW / 2) / UPPER_BODY_MARGIN
    tan_h = tan_v * width / height
    depth = float(np.max(z + np.maximum(np.abs(x - cx) / tan_h, np.abs(y - cy) / tan_v)))
    pose = np.eye(4)
    pose[:3, :3] = np.column_stack([right_in_image, up, facing])
    pose[:3, 3] = right_in_image * cx + up * cy + facing * depth
    return Camera(width=width, height=height,
                  focal=(height / 2) / np.tan(UPPER_BODY_FIELD_OF_VIEW / 2),
                  world_from_camera=pose, world_from_motion=np.eye(4), fps=float(motion.fps))
