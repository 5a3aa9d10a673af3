"""Landmarks of one shot -> a SMPL-X Motion: the video fit of DR²'s supplement (section 2.2).

1. Global orientation and body size are fitted once per shot: the pelvis turn is the mean
   turn of the trunk (shoulders and hips) over the shot, levelled so the legs (or, unseen, the
   trunk) stand upright, and turned about that upright axis as the hips turn in each frame;
   the spine carries each frame's turn away from it. The size (metres per pixel) comes from
   the torso's metric and image lengths.
2. Each frame is fitted from the previous one (:mod:`.ik`: closed-form rotations, joint limits,
   the twist of a straight limb carried over), after the arms of frames the detector mirrored
   are set aside (:mod:`.mirror`) and the forearms' depth is read again from the image with
   the shot's forearm length (:mod:`.depth`).
3. The inter-frame motion term regularises body, hands, head and jaw with each joint's
   confidence (:mod:`.smooth`): what the camera did not see is carried by the motion.
4. The root: a standing person's soles are put on the floor and planted feet held still; a
   seated one keeps a fixed root; the horizontal path follows the hips in the image.
"""

import logging
from dataclasses import dataclass

import numpy as np

from ...motion.contacts import detect_contacts
from ...motion.container import Motion
from ...motion.lens import PHONE_LENS_MM, focal_pixels
from ...motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from ...motion.runs import true_runs
from ...motion.skeleton import JOINT_INDEX as J, LOWER_BODY, neutral_skeleton
from . import ik
from . import landmarks as L
from .camera_fit import fit_camera
from .depth import deepen_forearms
from .lift import lift_arms
from .mirror import forget_mirrored_arms
from .sightline import seen_from_the_hips
from .smooth import fill_unseen, smooth_rotations, smooth_series

log = logging.getLogger(__name__)

# Motion weights w of the inter-frame term, per part (larger: smoother).
MOTION_WEIGHT = {"body": 4.0, "hands": 8.0, "head": 4.0, "jaw": 2.0, "root": 30.0, "feet": 3.0,
                 "hips": 16.0}
COLLAR_DROP = np.radians(18.0)  # the collarbones below the rest pose's with the arms hanging
COLLAR_SHARE = 0.3  # of the upper arm's elevation the collarbones rise with
HIPS_TURN_MAX = np.radians(45.0)  # the hips read turned further from the shot's mean: not trusted
VISIBLE = 0.5  # landmark visibility from which a joint is fully trusted
SEATED_HIP_FLEXION = np.radians(55.0)


@dataclass
class ShotFit:
    """The fitted take of one shot, and how it was judged.

    placement : where the take's skeleton sits in each frame of the video
        (:class:`ImagePlacement`), to draw the fit over the pictures.
    """

    motion: Motion
    posture: str  # "standing", "seated" or "upper body" (legs not seen)
    coverage: dict  # share of frames each part was seen: body, left_hand, right_hand, face
    placement: object = None


@dataclass
class ImagePlacement:
    """The take's frame seen by the camera: per frame the hips' pixel (T, 2) and the metres
    per pixel (T,), and the levelling turn (3, 3) applied to the camera's axes."""

    hips: np.ndarray
    metres_per_pixel: np.ndarray
    level: np.ndarray

    def to_pixels(self, points, pelvis):
        """Pixels (T, J, 2) of take-frame points (T, J, 3), drawn around the pelvis (T, 3)."""
        rel = (np.asarray(points) - np.asarray(pelvis)[:, None]) @ self.level  # undo levelling
        u = self.hips[:, None, 0] + rel[..., 0] / self.metres_per_pixel[:, None]
        v = self.hips[:, None, 1] - rel[..., 1] / self.metres_per_pixel[:, None]
        return np.stack([u, v], axis=-1)


def joint_weights():
    w = np.full(55, MOTION_WEIGHT["body"])
    w[25:55] = MOTION_WEIGHT["hands"]
    w[[J["neck"], J["head"]]] = MOTION_WEIGHT["head"]
    w[[J["left_wrist"], J["right_wrist"]]] = MOTION_WEIGHT["hands"]
    return w


def mean_rotation(rots, weights):
    """The rotation nearest (chordal) to the weighted mean of rotations (T, 3, 3)."""
    m = np.einsum("t,tij->ij", np.asarray(weights, dtype=np.float64), rots)
    u, _, vt = np.linalg.svd(m)
    d = np.sign(np.linalg.det(u @ vt))
    u[:, 2] *= d
    return u @ vt


def fit_shot(lm, fps=None, lifter=None, focal=None):
    """Fit one shot's landmarks; returns a :class:`ShotFit`.

    lm : Landmarks of one continuous shot of one person (frames not seen are NaN).
    lifter : the arm lifter (:mod:`.lift`; None: the one talkrig ships, False: none, the
        forearms' depth read from their image length alone).
    focal : the camera's focal length in pixels (None: a phone's main camera,
        ``motion.lens.PHONE_LENS_MM``), which sets how far apart the face's and the hips' lines
        of sight are (:mod:`.sightline`).
    """
    fps = float(fps or lm.fps)
    n = lm.n_frames
    lm = seen_from_the_hips(lm, focal or assumed_focal(lm.size))
    lm, mirrored = forget_mirrored_arms(lm, fps)
    if mirrored:
        log.info("%d of %d frames with the arms on the wrong sides set aside", mirrored, n)
    mpp, ok = metres_per_pixel(lm)
    up = ik.shot_up(lm, VISIBLE)  # from the legs or trunk: the lifter moves only the arms
    lm = lift_arms(lm, mpp, up, lifter, onto=deepen_forearms(lm, mpp))
    seen = lm.body_seen
    vis = np.where(seen[:, None], np.nan_to_num(lm.visibility), 0.0)
    p = ik.body_directions(lm)
    torso_conf = np.minimum.reduce([vis[:, i] for i in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER,
                                                        L.LEFT_HIP, L.RIGHT_HIP)])
    # 1. Orientation once per shot, levelled on the legs (or the spine) as gravity's up, then
    #    the hips' turn about that up in each frame.
    _, torso = ik.torso_rotations(np.where(seen[:, None, None], p, 1.0), torso_conf)
    weights = np.where(seen, torso_conf, 0.0) + 1e-9
    level = _levelling(up)
    pelvis = _hips_turn(p, level, seen, torso_conf) @ level @ mean_rotation(torso, weights)
    lm_level = _levelled(lm, level)
    # 2. Frame by frame.
    local, conf, jaw = ik.solve_frames(lm_level, pelvis=pelvis)
    conf = _confidence(conf, vis, lm)
    legs_seen = np.mean(conf[:, [J["left_knee"], J["right_knee"]]].min(axis=1) > 0.5)
    # 3. Motion term.
    weights_j = joint_weights()
    poses = smooth_rotations(local, conf, weights_j)
    jaw = smooth_series(jaw[:, None], lm.face_seen.astype(float), MOTION_WEIGHT["jaw"])[:, 0]
    poses[:, J["jaw"]] = np.stack([np.clip(jaw, 0, ik.JAW_MAX), 0 * jaw, 0 * jaw], axis=1)
    poses[:, [J["left_collar"], J["right_collar"]]] = 0.0
    _collars_with_the_arms(poses)
    poses[:, 0] = matrix_to_axis_angle(pelvis)
    if legs_seen < 0.5:
        poses[:, LOWER_BODY] = 0.0
        posture = "upper body"
    else:
        hip_flexion = _hip_flexion(poses)
        posture = "seated" if np.median(hip_flexion) > SEATED_HIP_FLEXION else "standing"
    # 4. Root.
    trans = _root_path(lm, mpp, ok, level, poses, posture)
    contacts = None
    if posture == "standing":
        trans, contacts = _plant_feet(poses, trans, fps)
    motion = Motion(poses=poses.astype(np.float32), trans=trans.astype(np.float32), fps=fps,
                    betas=np.zeros(300, np.float32), contacts=contacts,
                    expressions=np.zeros((n, 100), np.float32), gender="neutral")
    coverage = {"body": float(np.mean(seen)), "left_hand": float(np.mean(lm.hand_seen[:, 0])),
                "right_hand": float(np.mean(lm.hand_seen[:, 1])),
                "face": float(np.mean(lm.face_seen))}
    hips = (lm.body_image[:, L.LEFT_HIP, :2] + lm.body_image[:, L.RIGHT_HIP, :2]) / 2
    placement = ImagePlacement(hips=fill_unseen(np.nan_to_num(hips), ok),
                               metres_per_pixel=fill_unseen(np.where(ok, mpp, 1.0), ok),
                               level=level)
    return ShotFit(motion=motion, posture=posture, coverage=coverage, placement=placement)


def fit_shot_and_camera(lm, fps=None, lifter=None, focal=None):
    """(ShotFit, Camera or None, median reprojection error in pixels) of one shot: fitted with
    a phone's focal length, then again with the focal length of the camera that fits it; with
    a known ``focal`` (pixels: ``motion.lens``), fitted once with it and the camera held to it."""
    if focal is not None:
        fit = fit_shot(lm, fps, lifter, focal=focal)
        return (fit, *fit_camera(fit.motion, lm, focal=focal))
    fit = fit_shot(lm, fps, lifter)
    camera, error = fit_camera(fit.motion, lm)
    if camera is None:
        return fit, camera, error
    fit = fit_shot(lm, fps, lifter, focal=camera.focal)
    camera, error = fit_camera(fit.motion, lm)
    return fit, camera, error


def assumed_focal(size):
    """The focal length in pixels of a phone's main camera at ``size``, either way up."""
    return focal_pixels(PHONE_LENS_MM, size)


def _levelled(lm, level):
    """A copy of ``lm`` turned by ``level`` (a rotation of the capture frame)."""
    out = lm.select(slice(None))
    turn = ik.TO_CAPTURE[:, None] * level.T * ik.TO_CAPTURE[None, :]  # same turn, camera axes
    out.body_world = lm.body_world @ turn
    out.hands = lm.hands @ turn
    out.face = lm.face @ turn
    return out


def _collars_with_the_arms(poses):
    """Each collarbone, in place on (T, 55, 3) poses, lowered from the skeleton's rest by
    COLLAR_DROP and raised again by COLLAR_SHARE of the upper arm's elevation from the trunk,
    the shoulder turned back so the arm points where it was read.

    The detector gives the shoulder joint, not the shoulder blade: left at rest, every
    collarbone stood as in the skeleton's arms-out rest pose, the shoulder girdle 7-8 degrees
    higher than filmed and still whatever the arm did, where a person's girdle rises as the arm
    does (the truth's follows its arm's elevation at 0.6-0.9). Both figures chosen on the arm
    lifter's people (benchmarks/JOURNAL.md, "Shoulder girdles that move with the arms")."""
    pos = neutral_skeleton().forward_kinematics(poses)[1]
    down = (pos[:, J["left_hip"]] + pos[:, J["right_hip"]]
            - pos[:, J["left_shoulder"]] - pos[:, J["right_shoulder"]])
    for side, sign in (("left", -1.0), ("right", 1.0)):
        upper = pos[:, J[f"{side}_elbow"]] - pos[:, J[f"{side}_shoulder"]]
        cos = np.sum(ik.unit(upper) * ik.unit(down), axis=-1)
        drop = COLLAR_DROP - COLLAR_SHARE * np.arccos(np.clip(cos, -1.0, 1.0))
        collar = axis_angle_to_matrix(np.outer(sign * drop, [0.0, 0.0, 1.0]))
        shoulder = axis_angle_to_matrix(poses[:, J[f"{side}_shoulder"]].astype(np.float64))
        poses[:, J[f"{side}_collar"]] = matrix_to_axis_angle(collar)
        poses[:, J[f"{side}_shoulder"]] = matrix_to_axis_angle(
            np.swapaxes(collar, -1, -2) @ shoulder)


def _hips_turn(p, level, seen, conf):
    """(T, 3, 3) the hips' turn about the upright axis in each frame, from their shot's mean
    (the line between the hip points, smoothed): the speaker turns at the hips, and the chest,
    which the shoulders set, no longer turns alone against hips held still. A frame reading the
    hips turned by more than HIPS_TURN_MAX is not trusted (the detector swapping the sides)."""
    across = (p[:, L.LEFT_HIP] - p[:, L.RIGHT_HIP]) @ level.T
    yaw = np.arctan2(-across[:, 2], across[:, 0])
    ok = seen & np.isfinite(yaw)
    mean = np.angle(np.sum(np.where(ok, conf, 0.0) * np.exp(1j * np.where(ok, yaw, 0.0))))
    yaw = np.angle(np.exp(1j * (np.where(ok, yaw, mean) - mean)))
    ok &= np.abs(yaw) < HIPS_TURN_MAX
    yaw = smooth_series(np.where(ok, yaw, 0.0)[:, None], np.where(ok, conf, 0.0),
                        MOTION_WEIGHT["hips"])[:, 0]
    return axis_angle_to_matrix(np.outer(yaw, [0.0, 1.0, 0.0]))


def _levelling(up):
    """The rotation that stands the shot's mean body axis (``up``) upright: pitch and roll."""
    if up is None:
        return np.eye(3)
    return ik.swing(up, np.array([[0.0, 1.0, 0.0]]))[0]


def _confidence(conf, vis, lm):
    """Per-joint confidence from the detector's visibility: 0 below 0.2, 1 from VISIBLE."""
    c = np.clip((conf - 0.2) / (VISIBLE - 0.2), 0.0, 1.0)
    return np.where(lm.body_seen[:, None], c, 0.0)


def _hip_flexion(poses):
    """(T,) angle between the torso's down direction and the thighs (0 standing)."""
    sk = neutral_skeleton()
    _, pos = sk.forward_kinematics(poses)
    flex = []
    for hip, knee in ((J["left_hip"], J["left_knee"]), (J["right_hip"], J["right_knee"])):
        thigh = ik.unit(pos[:, knee] - pos[:, hip])
        down = ik.unit(pos[:, J["pelvis"]] - pos[:, J["spine3"]])
        flex.append(np.arccos(np.clip(np.sum(thigh * down, axis=-1), -1, 1)))
    return np.mean(flex, axis=0)


def _plant_feet(poses, trans, fps):
    """Hold planted feet still by moving the root, not the legs: where a foot is down (low and
    slow), the root's horizontal path is corrected so that foot stays where it touched down.
    Returns the new trans (T, 3) and the contacts (T, 2)."""
    sk = neutral_skeleton()
    ankles = sk.forward_kinematics(poses, trans)[1][:, [J["left_ankle"], J["right_ankle"]]]
    contacts = detect_contacts(ankles, fps) > 0.5
    n = len(poses)
    offset = np.zeros((n, 2))
    count = np.zeros(n)
    for leg in range(2):
        for start, stop in true_runs(contacts[:, leg]):
            anchor = ankles[start, leg, [0, 2]]
            offset[start:stop] += anchor - ankles[start:stop, leg][:, [0, 2]]
            count[start:stop] += 1
    seen = count > 0
    offset[seen] /= count[seen, None]
    offset = smooth_series(offset, seen.astype(float), MOTION_WEIGHT["feet"])
    out = trans.copy()
    out[:, [0, 2]] += offset
    return out, contacts.astype(np.float32)


TORSO_PAIRS = ((L.LEFT_SHOULDER, L.LEFT_HIP), (L.RIGHT_SHOULDER, L.RIGHT_HIP),
               (L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP))


def metres_per_pixel(lm, pairs=TORSO_PAIRS):
    """(T,) metres per pixel of the body in each frame and (T,) where it is known: the torso's
    metric lengths across the image plane over its lengths in pixels (turning the torso
    towards the camera shortens both alike)."""
    img = lm.body_image[..., :2]
    world = lm.body_world[..., :2]
    metric = sum(np.linalg.norm(world[:, a] - world[:, b], axis=-1) for a, b in pairs)
    pixels = sum(np.linalg.norm(img[:, a] - img[:, b], axis=-1) for a, b in pairs)
    ok = np.isfinite(metric) & np.isfinite(pixels) & (pixels > 1)
    return np.where(ok, metric / np.where(ok, pixels, 1.0), np.nan), ok


def _root_path(lm, mpp, ok, level, poses, posture):
    """(T, 3) trans: the hips' path in the image turned into metres, soles on the floor (their
    depth from a phone's focal length whatever the shot's: the camera fitted to the shot reads
    its focal length best on a root that moves no more in depth than that gives)."""
    n = lm.n_frames
    sk = neutral_skeleton()
    rest_pelvis = sk.rest_positions[0]
    width, height = lm.size
    focal = assumed_focal(lm.size)
    path = np.zeros((n, 3))
    if np.any(ok):
        img = lm.body_image[..., :2]
        mid = (img[:, L.LEFT_HIP] + img[:, L.RIGHT_HIP]) / 2
        depth = focal * mpp
        x = (mid[:, 0] - width / 2) * mpp
        y = -(mid[:, 1] - height / 2) * mpp
        cam = np.stack([x, y, -depth], axis=1)  # capture frame (z towards the camera)
        cam = fill_unseen(np.where(ok[:, None], cam, 0.0), ok)
        path = smooth_series(cam, ok.astype(float), MOTION_WEIGHT["root"]) @ level.T
        path -= np.median(path[ok], axis=0)
    trans = path - rest_pelvis
    # Height: soles on the floor (standing), or the legs' own height otherwise.
    _, pos = sk.forward_kinematics(poses, np.zeros((n, 3)))
    feet = np.concatenate([pos[:, [J["left_ankle"], J["right_ankle"]], 1] - 0.075,
                           pos[:, [J["left_foot"], J["right_foot"]], 1] - 0.015], axis=1)
    lowest = feet.min(axis=1)
    if posture == "standing":
        height_y = -lowest  # the fitted legs are smooth already
    else:
        height_y = np.full(n, -float(np.median(lowest)))
    trans[:, 1] = height_y
    if posture == "seated":
        trans[:, [0, 2]] = np.median(trans[:, [0, 2]], axis=0)
    return trans
