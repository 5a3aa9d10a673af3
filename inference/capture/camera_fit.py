"""The camera that filmed a captured shot: one fixed pinhole camera per shot, fitted so the
take's joints project onto the landmarks the detector saw (numpy/scipy).

Written beside each take as ``TAKE.camera.json`` (:class:`motion.camera.Camera`), so the take
can be drawn over its own video: the neural renderer pairs every frame of the video with the
skeleton pass of the take through this camera.

1. A weak-perspective (affine) camera is solved linearly from all confident correspondences;
   its rows give the camera's turn, its scale the distance for a plausible focal length.
2. Turn, position and focal length are refined together by robust least squares (soft L1, so a
   misdetected frame does not pull the camera), with a weak prior holding the focal length
   near a phone's main camera's, whichever way it was held (it is poorly observed when the
   person is far compared to their depth).
"""

import logging

import numpy as np

from ...motion.camera import Camera
from ...motion.lens import PHONE_LENS_MM, focal_pixels
from ...motion.skeleton import JOINT_INDEX as J, neutral_skeleton
from . import landmarks as L

log = logging.getLogger(__name__)

# (BlazePose body point, SMPL-X joint) that mark the same place on the body.
BODY_PAIRS = ((L.LEFT_SHOULDER, "left_shoulder"), (L.RIGHT_SHOULDER, "right_shoulder"),
              (L.LEFT_ELBOW, "left_elbow"), (L.RIGHT_ELBOW, "right_elbow"),
              (L.LEFT_WRIST, "left_wrist"), (L.RIGHT_WRIST, "right_wrist"),
              (L.LEFT_HIP, "left_hip"), (L.RIGHT_HIP, "right_hip"),
              (L.LEFT_KNEE, "left_knee"), (L.RIGHT_KNEE, "right_knee"),
              (L.LEFT_ANKLE, "left_ankle"), (L.RIGHT_ANKLE, "right_ankle"))
# Hand points (finger bases) and their SMPL-X joints, per hand.
HAND_PAIRS = ((5, "index1"), (9, "middle1"), (13, "ring1"), (17, "pinky1"))
VISIBLE = 0.5  # body points less visible than this are left out
MAX_FRAMES = 240  # frames sampled from a long shot
PRIOR_WEIGHT = 0.5  # pixels of residual per 1 % of focal length away from the prior, per point


def correspondences(motion, lm, max_frames=MAX_FRAMES):
    """(points (N, 3) take-frame metres, pixels (N, 2)) of confident landmarks of sampled frames."""
    frames = np.unique(np.linspace(0, motion.n_frames - 1, min(max_frames, motion.n_frames))
                       .astype(int))
    joints = neutral_skeleton().joint_positions(motion[frames])
    points, pixels = [], []
    for landmark, joint in BODY_PAIRS:
        ok = lm.visibility[frames, landmark] >= VISIBLE
        ok &= np.all(np.isfinite(lm.body_image[frames, landmark, :2]), axis=-1)
        points.append(joints[ok, J[joint]])
        pixels.append(lm.body_image[frames[ok], landmark, :2])
    for k, side in enumerate(("left", "right")):
        for landmark, joint in HAND_PAIRS:
            seen = np.all(np.isfinite(lm.hands[frames, k, landmark, :2]), axis=-1)
            points.append(joints[seen, J[f"{side}_{joint}"]])
            pixels.append(lm.hands[frames[seen], k, landmark, :2])
    return np.concatenate(points), np.concatenate(pixels)


def fit_camera(motion, lm, focal=None):
    """The Camera (take frame = world) that best projects ``motion``'s joints onto ``lm``.

    motion : the take fitted from ``lm`` (one shot). lm : its Landmarks (pixels, lm.size).
    focal : the focal length in pixels when it is known (held), None to fit it.
    Returns (Camera, median reprojection error in pixels), or (None, nan) when fewer than six
    confident correspondences exist.
    """
    width, height = lm.size
    points, pixels = correspondences(motion, lm)
    if len(points) < 6:
        return None, float("nan")
    prior = focal_pixels(PHONE_LENS_MM, lm.size) if focal is None else float(focal)
    rot, trans = _initial_pose(points, pixels, prior, (width, height))
    params = _refine(points, pixels, rot, trans, prior, (width, height), held=focal is not None)
    camera = _camera(params, (width, height), float(motion.fps))
    error = np.linalg.norm(camera.project(points)[0] - pixels, axis=-1)
    log.info("shot camera: focal %.0f px (prior %.0f), median reprojection %.1f px over %d points",
             camera.focal, prior, np.median(error), len(points))
    return camera, float(np.median(error))


def _initial_pose(points, pixels, focal, size):
    """Rotation (3, 3) and translation (3,) camera_from_take from a weak-perspective fit."""
    centre = points.mean(axis=0)
    design = np.concatenate([points - centre, np.ones((len(points), 1))], axis=1)
    affine, *_ = np.linalg.lstsq(design, pixels, rcond=None)  # (4, 2)
    row_x, row_y = affine[:3, 0], -affine[:3, 1]  # image y runs down, the camera's y up
    scale = (np.linalg.norm(row_x) + np.linalg.norm(row_y)) / 2
    x = row_x / np.linalg.norm(row_x)
    y = row_y - x * (row_y @ x)
    y /= np.linalg.norm(y)
    rot = np.stack([x, y, np.cross(x, y)])
    trans = _translation(points, pixels, rot, focal, size)
    if not np.isfinite(trans).all() or np.median(-(points @ rot.T + trans)[:, 2]) <= 0:
        depth = focal / max(scale, 1e-9)
        trans = -rot @ centre + [0.0, 0.0, -depth]
    return rot, trans


def _translation(points, pixels, rot, focal, size):
    """The translation that best fits the pixels for a given turn and focal: linear in t once
    both sides are multiplied by the depth."""
    c = points @ rot.T
    du = pixels[:, 0] - size[0] / 2
    dv = size[1] / 2 - pixels[:, 1]
    n = len(points)
    a = np.zeros((2 * n, 3))
    b = np.zeros(2 * n)
    a[:n, 0], a[:n, 2] = focal, du
    b[:n] = -du * c[:, 2] - focal * c[:, 0]
    a[n:, 1], a[n:, 2] = focal, dv
    b[n:] = -dv * c[:, 2] - focal * c[:, 1]
    return np.linalg.lstsq(a, b, rcond=None)[0]


def _refine(points, pixels, rot, trans, prior, size, held=False):
    """[rotation vector, translation, log focal] after robust least squares; ``held``: the
    focal length stays ``prior``."""
    from scipy.optimize import least_squares
    from scipy.spatial.transform import Rotation

    start = np.concatenate([Rotation.from_matrix(rot).as_rotvec(), trans, [np.log(prior)]])
    weight = PRIOR_WEIGHT * 100 * np.sqrt(len(points))

    def residuals(p):
        p = np.append(p, start[6]) if held else p
        r = Rotation.from_rotvec(p[:3]).as_matrix()
        c = points @ r.T + p[3:6]
        depth = np.maximum(-c[:, 2], 1e-3)
        f = np.exp(p[6])
        u = size[0] / 2 + f * c[:, 0] / depth
        v = size[1] / 2 - f * c[:, 1] / depth
        return np.concatenate([u - pixels[:, 0], v - pixels[:, 1],
                               [weight * (p[6] - np.log(prior))]])

    fit = least_squares(residuals, start[:6] if held else start, loss="soft_l1",
                        f_scale=0.01 * size[1], max_nfev=200)
    return np.append(fit.x, start[6]) if held else fit.x


def _camera(params, size, fps):
    from scipy.spatial.transform import Rotation

    camera_from_take = np.eye(4)
    camera_from_take[:3, :3] = Rotation.from_rotvec(params[:3]).as_matrix()
    camera_from_take[:3, 3] = params[3:6]
    return Camera(width=int(size[0]), height=int(size[1]), focal=float(np.exp(params[6])),
                  world_from_camera=np.linalg.inv(camera_from_take), world_from_motion=np.eye(4),
                  fps=fps)
