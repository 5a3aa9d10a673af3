"""Landmarks of one frame -> SMPL-X joint rotations: closed-form inverse kinematics.

Every joint's global rotation is the rotation that best carries its rest-pose bone directions
onto the observed ones (Wahba's problem, solved with an SVD for all frames at once), so bone
lengths never matter and a person of any size fits the built-in skeleton. Elbows and knees are
hinges whose bend is read in the plane of the limb; the twist of a straight arm or leg, which
no landmark shows, is taken from the previous frame (each frame starts where the last one
ended). Every rotation is then held inside a joint limit.

Observed directions are in the capture frame: the camera's axes turned to SMPL-X's (x to the
image's right = the left of a person facing the camera, y up, z towards the camera).
"""

import numpy as np

from ...motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from ...motion.skeleton import JOINT_INDEX, PARENTS, neutral_skeleton
from . import finger_offsets
from . import landmarks as L

J = JOINT_INDEX
REST = neutral_skeleton().rest_positions

# Largest rotation (radians) of a joint relative to its parent.
LIMITS = {
    "spine": np.radians(35), "neck": np.radians(40), "head": np.radians(40),
    "shoulder": np.radians(175), "wrist": np.radians(90), "hip": np.radians(120),
    "ankle": np.radians(45), "finger": np.radians(100), "thumb": np.radians(70),
}
ELBOW_RANGE = np.radians([0.0, 150.0])
KNEE_RANGE = np.radians([0.0, 150.0])
TO_CAPTURE = np.array([1.0, -1.0, -1.0])  # camera axes (x right, y down, z away) -> capture frame


def rest_dir(a, b):
    """Unit rest-pose direction from joint ``a`` to joint ``b`` (names)."""
    v = REST[J[b]] - REST[J[a]]
    return v / np.linalg.norm(v)


def unit(v, axis=-1):
    n = np.linalg.norm(v, axis=axis, keepdims=True)
    return v / np.where(n < 1e-12, 1.0, n)


def wahba(rest, observed, weights):
    """Rotations (T, 3, 3) best carrying rest directions onto observed ones.

    rest : (K, 3) or (T, K, 3); observed : (T, K, 3); weights : (T, K) (NaN-free).
    """
    rest = np.broadcast_to(rest, observed.shape)
    b = np.einsum("tk,tki,tkj->tij", weights, observed, rest)
    u, _, vt = np.linalg.svd(b)
    d = np.sign(np.linalg.det(u @ vt))
    u[:, :, 2] *= d[:, None]
    return u @ vt


def limit(rot, max_angle):
    """Rotations (T, 3, 3) scaled back along their own axis to at most ``max_angle``."""
    aa = matrix_to_axis_angle(rot)
    angle = np.linalg.norm(aa, axis=-1, keepdims=True)
    over = angle > max_angle
    if not np.any(over):
        return rot
    aa = np.where(over, aa * max_angle / np.maximum(angle, 1e-12), aa)
    return axis_angle_to_matrix(aa)


def fraction(rot, share):
    """The rotation ``share`` of the way along each rotation (T, 3, 3)."""
    return axis_angle_to_matrix(matrix_to_axis_angle(rot) * share)


def swing(a, b):
    """Smallest rotations (T, 3, 3) taking unit vectors a (3,) or (T, 3) onto b (T, 3)."""
    a = np.broadcast_to(a, b.shape)
    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1)
    c = np.einsum("ti,ti->t", a, b)
    angle = np.arctan2(s, c)
    axis = axis / np.where(s < 1e-9, 1.0, s)[:, None]
    # Antiparallel vectors: any perpendicular axis.
    flip = (s < 1e-9) & (c < 0)
    if np.any(flip):
        perp = np.cross(a[flip], [0.0, 1.0, 0.0])
        bad = np.linalg.norm(perp, axis=-1) < 1e-6
        perp[bad] = np.cross(a[flip][bad], [1.0, 0.0, 0.0])
        axis[flip] = unit(perp)
    return axis_angle_to_matrix(axis * angle[:, None])


class Solved:
    """Global (T, 55, 3, 3) and local rotations being filled joint by joint, plus a confidence
    (T, 55) per joint in [0, 1]."""

    def __init__(self, n):
        eye = np.broadcast_to(np.eye(3), (n, 55, 3, 3))
        self.glob = eye.copy()
        self.local = eye.copy()
        self.confidence = np.zeros((n, 55))

    def set_local(self, joint, rot):
        j = J[joint] if isinstance(joint, str) else joint
        self.local[:, j] = rot
        self.glob[:, j] = self.glob[:, PARENTS[j]] @ rot if PARENTS[j] >= 0 else rot

    def set_global(self, joint, rot, max_angle=None):
        """Store a global rotation as the joint's local one (within ``max_angle``)."""
        j = J[joint] if isinstance(joint, str) else joint
        local = np.swapaxes(self.glob[:, PARENTS[j]], -1, -2) @ rot
        if max_angle is not None:
            local = limit(local, max_angle)
        self.set_local(j, local)

    def refresh(self, joints):
        """Recompute the global rotations of ``joints`` (parents first) from their locals."""
        for j in joints:
            j = J[j] if isinstance(j, str) else j
            self.glob[:, j] = self.glob[:, PARENTS[j]] @ self.local[:, j]


def body_directions(lm):
    """(T, 33, 3) metric body landmarks in the capture frame (NaN where unseen)."""
    return lm.body_world * TO_CAPTURE


def shot_up(lm, visible=0.5):
    """The shot's mean up direction (3,) in the capture frame of landmarks ``lm``: ankles ->
    hips when the legs are seen (visibility above ``visible``) in most frames, else hips ->
    shoulders (None where no frame shows it)."""
    p, seen = body_directions(lm), lm.body_seen
    vis = np.where(seen[:, None], np.nan_to_num(lm.visibility), 0.0)
    mid_hip = (p[:, L.LEFT_HIP] + p[:, L.RIGHT_HIP]) / 2
    legs = np.minimum.reduce([vis[:, i] for i in (L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE,
                                                  L.RIGHT_ANKLE)]) > visible
    if np.sum(legs & seen) > 0.5 * max(1, np.sum(seen)):
        mid_ankle = (p[:, L.LEFT_ANKLE] + p[:, L.RIGHT_ANKLE]) / 2
        up = unit(mid_hip - mid_ankle)[legs & seen]
    else:
        mid_sh = (p[:, L.LEFT_SHOULDER] + p[:, L.RIGHT_SHOULDER]) / 2
        up = unit(mid_sh - mid_hip)[seen]
    up = up[np.all(np.isfinite(up), axis=1)]
    return unit(np.mean(up, axis=0)) if len(up) else None


def torso_rotations(p, weights):
    """Global rotations of the pelvis (from the hips) and the upper torso (from the shoulders).

    p : (T, 33, 3) capture-frame body points. weights : (T,) confidence of the torso.
    """
    hips = unit(p[:, L.LEFT_HIP] - p[:, L.RIGHT_HIP])
    shoulders = unit(p[:, L.LEFT_SHOULDER] - p[:, L.RIGHT_SHOULDER])
    mid_hip = (p[:, L.LEFT_HIP] + p[:, L.RIGHT_HIP]) / 2
    mid_sh = (p[:, L.LEFT_SHOULDER] + p[:, L.RIGHT_SHOULDER]) / 2
    spine = unit(mid_sh - mid_hip)
    rest_hips = rest_dir("right_hip", "left_hip")
    rest_sh = rest_dir("right_shoulder", "left_shoulder")
    rest_spine = unit((REST[J["left_shoulder"]] + REST[J["right_shoulder"]]) / 2
                      - (REST[J["left_hip"]] + REST[J["right_hip"]]) / 2)
    ones = np.ones(len(p))
    pelvis = wahba(np.stack([rest_hips, rest_spine]), np.stack([hips, spine], axis=1),
                   np.stack([ones, 0.5 * ones], axis=1))
    torso = wahba(np.stack([rest_sh, rest_spine]), np.stack([shoulders, spine], axis=1),
                  np.stack([ones, ones], axis=1))
    return pelvis, torso


ARMS = (  # (root joint, hinge joint, end joint, landmarks root/hinge/end, rest hinge axis)
    ("left_shoulder", "left_elbow", "left_wrist", (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST),
     (0.0, -1.0, 0.0), ELBOW_RANGE),
    ("right_shoulder", "right_elbow", "right_wrist",
     (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST), (0.0, 1.0, 0.0), ELBOW_RANGE),
)
LEGS = (
    ("left_hip", "left_knee", "left_ankle", (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
     (1.0, 0.0, 0.0), KNEE_RANGE),
    ("right_hip", "right_knee", "right_ankle", (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
     (1.0, 0.0, 0.0), KNEE_RANGE),
)


def solve_arm(solved, p, vis, limb, hold):
    """Shoulder and elbow rotations of one arm, frame by frame.

    The root carries the rest upper bone onto the observed one and turns the rest hinge axis
    onto the observed bend plane's normal, as far as the limb is bent; a straight limb keeps
    the previous frame's hinge direction. The hinge bends within its range.
    hold : (T,) bool, frames whose observation is not trusted (the previous result is kept).
    """
    root, hinge, end, (a, b, c), axis, (lo, hi) = limb
    axis = np.asarray(axis)
    upper = unit(p[:, b] - p[:, a])
    lower = unit(p[:, c] - p[:, b])
    rest_upper = rest_dir(root, hinge)
    rest_lower = rest_dir(hinge, end)
    parent = solved.glob[:, PARENTS[J[root]]]
    # Directions in the parent's frame: the solve is then independent of the torso.
    up_local = np.einsum("tji,tj->ti", parent, upper)
    low_local = np.einsum("tji,tj->ti", parent, lower)
    normal = np.cross(up_local, low_local)
    bend = np.linalg.norm(normal, axis=-1)
    normal = unit(normal)
    bend_weight = np.clip(bend / np.sin(np.radians(25.0)), 0.0, 1.0) ** 2
    n = len(p)
    roots = np.empty((n, 3, 3))
    previous = swing(rest_upper, up_local[:1])[0] if n else np.eye(3)
    for t in range(n):
        if hold[t]:
            roots[t] = previous
            continue
        prior = previous @ axis
        rest = np.stack([rest_upper, axis, axis])
        obs = np.stack([up_local[t], normal[t], prior])[None]
        w = np.array([[1.0, bend_weight[t], 0.05 + 0.2 * (1.0 - bend_weight[t])]])
        roots[t] = wahba(rest, obs, w)[0]
        previous = roots[t]
    roots = limit(roots, LIMITS["shoulder"])
    solved.set_local(root, roots)
    # Hinge angle in the plane perpendicular to the rest axis, in the root's frame.
    low_root = np.einsum("tji,tj->ti", solved.glob[:, J[root]], lower)
    flat = low_root - np.outer(low_root @ axis, axis)
    ref = rest_lower - axis * (rest_lower @ axis)
    angle = np.arctan2(np.cross(ref, flat) @ axis, flat @ ref)
    angle = np.clip(angle, lo, hi)
    solved.set_local(hinge, axis_angle_to_matrix(axis[None] * angle[:, None]))
    conf = np.minimum.reduce([vis[:, a], vis[:, b], vis[:, c]])
    solved.confidence[:, J[root]] = conf
    solved.confidence[:, J[hinge]] = conf


def solve_leg(solved, p, vis, limb, hold):
    """Hip and knee rotations of one leg, frame by frame: the knee bent as far as the thigh and
    shin are read to bend about the hips' line (read bent backwards, as far forwards: a knee
    only bends one way, and one read a little past straight is nearly always a little bent),
    and the leg so bent turned the shortest way from its rest onto the line from hip to ankle,
    so the knee faces where the hips face.

    The plane the thigh and shin are read to bend in is left out: a leg stands nearly straight,
    and a centimetre's error in the knee's point turns that plane a long way (followed, the
    captured knees faced 40-55 degrees off the truth's, and a knee read a little past straight
    twisted its thigh half a turn about itself).
    hold : (T,) bool, frames whose observation is not trusted (the previous frame's leg is kept)."""
    root, hinge, end, (a, b, c), axis, (lo, hi) = limb
    axis = np.asarray(axis)
    parent = solved.glob[:, PARENTS[J[root]]]
    kept = np.maximum.accumulate(np.where(hold, 0, np.arange(len(p))))
    thigh, shin = unit(p[:, b] - p[:, a])[kept], unit(p[:, c] - p[:, b])[kept]
    across = np.abs(np.einsum("ti,tij,j->t", np.cross(thigh, shin), parent, axis))
    bend = np.clip(np.arctan2(across, np.sum(thigh * shin, axis=-1)), lo, hi)
    knee = axis_angle_to_matrix(axis[None] * bend[:, None])
    rest_leg = unit((REST[J[hinge]] - REST[J[root]])[None]
                    + knee @ (REST[J[end]] - REST[J[hinge]]))
    line = np.einsum("tji,tj->ti", parent, unit(p[:, c] - p[:, a])[kept])
    solved.set_local(root, limit(swing(rest_leg, line), LIMITS["hip"]))
    solved.set_local(hinge, knee)
    conf = np.minimum.reduce([vis[:, a], vis[:, b], vis[:, c]])
    solved.confidence[:, J[root]] = conf
    solved.confidence[:, J[hinge]] = conf


# The hand detector's knuckle points sit on an arch the skeleton's finger roots do not: read
# through them, every palm came out turned about the forearm by 26 degrees (the mean over the
# arm lifter's own people, both hands alike), and 30 fits best once the bend is shared below.
PALM_TURN = axis_angle_to_matrix(np.array([np.radians(-30.0), 0.0, 0.0]))
WRIST_BEND_SHARE = 0.25  # of the wrist's bend as read (its turn about the forearm kept whole)


def wrist_bend_shared(local):
    """(T, 3, 3) wrist rotations against the forearm with WRIST_BEND_SHARE of their bend (the
    hand's long axis, x, turned off the forearm's) and all of their turn about the forearm.

    The hand's direction comes from the hand model and the forearm's from the pose model and
    the arm lifter, whose depths disagree: read as they come, the wrists bent 12-29 degrees
    (median) where the truth's bent 6-12, following it at a correlation of -0.2 to 0.7, and the
    wrist was further from the truth (38-42 degrees) than a hand held still (9-16)."""
    along = np.broadcast_to([1.0, 0.0, 0.0], (len(local), 3))
    bend = swing(along, local[..., 0])
    return fraction(bend, WRIST_BEND_SHARE) @ np.swapaxes(bend, -1, -2) @ local


def solve_hand(solved, hand, side, seen):
    """Wrist and finger rotations from one hand's 21 points (T, 21, 3) in pixels."""
    pts = hand * TO_CAPTURE
    wrist = pts[:, L.HAND_WRIST]
    names = ("index", "middle", "ring", "pinky")
    obs = np.stack([unit(pts[:, L.HAND_FINGERS[f][0]] - wrist) for f in names], axis=1)
    rest = np.stack([rest_dir(f"{side}_wrist", f"{side}_{f}1") for f in names])
    w = np.where(seen[:, None], 1.0, 0.0) * np.ones((1, 4))
    hand_rot = wahba(rest, np.nan_to_num(obs), w + 1e-9) @ PALM_TURN
    forearm = solved.glob[:, J[f"{side}_elbow"]]
    hand_rot = forearm @ wrist_bend_shared(np.swapaxes(forearm, -1, -2) @ hand_rot)
    hand_rot = np.where(seen[:, None, None], hand_rot, forearm)
    solved.set_global(f"{side}_wrist", hand_rot, LIMITS["wrist"])
    solved.confidence[:, J[f"{side}_wrist"]] = seen
    for finger, idx in L.HAND_FINGERS.items():
        chain = [f"{side}_{finger}{k}" for k in (1, 2, 3)]
        rest_dirs = [rest_dir(chain[0], chain[1]), rest_dir(chain[1], chain[2]),
                     rest_dir(chain[1], chain[2])]
        for k, joint in enumerate(chain):
            d = unit(pts[:, idx[k + 1]] - pts[:, idx[k]])
            parent = solved.glob[:, PARENTS[J[joint]]]
            local_dir = np.einsum("tji,tj->ti", parent, np.nan_to_num(d))
            local_dir = np.where(seen[:, None], unit(local_dir), rest_dirs[k])
            rot = limit(swing(rest_dirs[k], local_dir),
                        LIMITS["thumb" if finger == "thumb" else "finger"])
            solved.set_local(joint, rot)
            solved.confidence[:, J[joint]] = seen
    for joint, offset in finger_offsets.offsets().items():  # after the whole hand is read
        if joint.startswith(side):
            solved.set_local(joint, solved.local[:, J[joint]] @ offset.T)


# The pose model reads the body's pitch toward the camera short (a camera 15-25 degrees above:
# the chest 10-20 degrees short, the arms and legs with it), the face mesh reads the face's in
# full: against the chest the head came out raised by some half of the camera's height angle
# (13 degrees median over nine views of faces with a person's proportions). Each shot's face is
# lowered into the body's frame by the median difference between its pitch as read and as read
# with its depth scaled by FACE_DEPTH_SHARE, which keeps its nods whole (benchmarks/JOURNAL.md,
# "People with scanned heads, and the head read in the body's frame"; the share chosen again on
# those videos rendered with the whole head in view: "The scanned heads filmed whole, and the
# face's depth share chosen again").
FACE_DEPTH_SHARE = 0.40  # chosen on the lifter's people with scanned heads
REST_FACE = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # eye to eye; chin to forehead
# Degrees the nose sits below the ears' line of sight, the head level: where the face mesh loses
# the face, the head is read from the pose model's ears and nose against this rest. 14 read every
# head from them some 9 degrees raised on faces with a person's proportions (the scans' mean
# head: 9 from the middle of the ear to the nose tip); 6 chosen on the lifter's people with
# scanned heads, the ears and nose alone (benchmarks/JOURNAL.md, "The head from the ears").
NOSE_BELOW_EARS = 6.0


def face_rotations(face):
    """(T, 3, 3) head rotations read from face points (T, N_FACE, 3), capture frame."""
    F = L.FACE
    across = unit(face[:, F["left_eye_outer"]] - face[:, F["right_eye_outer"]])
    up = unit(face[:, F["forehead"]] - face[:, F["chin"]])
    return wahba(REST_FACE, np.nan_to_num(np.stack([across, up], axis=1)), np.ones((len(face), 2)))


def elevation(direction):
    """(T,) degrees of (T, 3) unit directions above the horizontal (capture frame, y up)."""
    return np.degrees(np.arcsin(np.clip(direction[:, 1], -1.0, 1.0)))


def face_in_body_frame(face, seen):
    """(T, 3, 3) head rotations from face points (T, N_FACE, 3, capture frame), lowered by the
    shot's median gap between the face's pitch read whole and read with its depth shallower
    (FACE_DEPTH_SHARE): the face brought into the frame the pose model reads the body in."""
    head = face_rotations(face)
    if not seen.any():
        return head
    shallow = face.copy()
    centre = face[..., 2:].mean(axis=1, keepdims=True)
    shallow[..., 2:] = centre + FACE_DEPTH_SHARE * (face[..., 2:] - centre)
    forward = head[:, :, 2]
    read = elevation(forward)
    drop = np.median((read - elevation(face_rotations(shallow)[:, :, 2]))[seen])
    level = unit(forward * np.array([1.0, 0.0, 1.0]))
    pitch = np.radians(read - drop)[:, None]
    lowered = level * np.cos(pitch) + np.array([0.0, 1.0, 0.0]) * np.sin(pitch)
    return swing(forward, lowered) @ head


def ears_rotations(p):
    """(T, 3, 3) head rotations read from the pose model's ears and nose (T, 33, 3 directions
    or points, capture frame), against a level head's rest (NOSE_BELOW_EARS)."""
    across = unit(p[:, L.LEFT_EAR] - p[:, L.RIGHT_EAR])
    forward = unit(p[:, L.NOSE] - (p[:, L.LEFT_EAR] + p[:, L.RIGHT_EAR]) / 2)
    drop = np.tan(np.radians(NOSE_BELOW_EARS))
    rest = np.array([[1.0, 0.0, 0.0], unit(np.array([0.0, -drop, 1.0]))])
    return wahba(rest, np.nan_to_num(np.stack([across, forward], axis=1)), np.ones((len(p), 2)))


def solve_head(solved, lm, p, vis):
    """Neck and head from the face (eye corners, forehead, chin; :func:`face_in_body_frame`) or,
    without it, the ears and nose; the turn relative to the upper torso is shared half and
    half."""
    face_seen = lm.face_seen
    head_face = face_in_body_frame(lm.face * TO_CAPTURE, face_seen)
    head = np.where(face_seen[:, None, None], head_face, ears_rotations(p))
    rel = np.swapaxes(solved.glob[:, J["spine3"]], -1, -2) @ head
    half = limit(fraction(rel, 0.5), LIMITS["neck"])
    solved.set_local("neck", half)
    solved.set_local("head", half)
    conf = np.where(face_seen, 1.0, np.minimum(vis[:, L.LEFT_EAR], vis[:, L.RIGHT_EAR]))
    solved.confidence[:, J["neck"]] = conf
    solved.confidence[:, J["head"]] = conf


JAW_PER_RATIO = 2.2  # radians of jaw opening per lip gap / face height
JAW_CLOSED_RATIO = 0.01  # lip gap of a closed mouth (share of the face height)
JAW_MAX = 0.45


def jaw_angles(lm):
    """(T,) jaw opening in radians from the inner lips' gap over the face's height."""
    F = L.FACE
    face = lm.face
    gap = np.linalg.norm(face[:, F["upper_lip"]] - face[:, F["lower_lip"]], axis=-1)
    height = np.linalg.norm(face[:, F["forehead"]] - face[:, F["chin"]], axis=-1) - gap
    ratio = gap / np.where(height > 1e-6, height, np.nan)
    return np.clip(JAW_PER_RATIO * (ratio - JAW_CLOSED_RATIO), 0.0, JAW_MAX)


def hips_at_joints(p):
    """A copy of the body points ``p`` (T, 33, 3) whose hips are drawn in towards their middle
    to the skeleton's hip joints' spread, where the thighs start.

    The detector's hip points sit about twice as far apart as the skeleton's hip joints (22-23
    against 12 cm on the person videos): thighs drawn from them leaned in, and the captured feet
    stood 15 cm closer together than the filmed ones (benchmarks/JOURNAL.md)."""
    spread = np.linalg.norm(p[:, L.LEFT_HIP] - p[:, L.RIGHT_HIP], axis=-1)
    seen = np.isfinite(spread) & (spread > 1e-6)
    if not np.any(seen):
        return p
    ratio = np.linalg.norm(REST[J["left_hip"]] - REST[J["right_hip"]]) / np.median(spread[seen])
    out = p.copy()
    middle = (p[:, L.LEFT_HIP] + p[:, L.RIGHT_HIP]) / 2
    for hip in (L.LEFT_HIP, L.RIGHT_HIP):
        out[:, hip] = middle + (p[:, hip] - middle) * ratio
    return out


def solve_ankles(solved, p, vis):
    """Ankles point the foot along heel -> toe across the floor, the sole level.

    The detector reads too little depth along a foot, which mostly points at the camera: read
    as it comes, every foot pointed down like a dancer's (13-27 degrees below the truth on
    every person video, benchmarks/JOURNAL.md). A speaker's soles are flat on the floor nearly
    all the time, so only the foot's direction across the floor is read (``p`` is levelled:
    y is up)."""
    for side, (ankle, toe, heel) in (("left", (L.LEFT_ANKLE, L.LEFT_TOE, L.LEFT_HEEL)),
                                     ("right", (L.RIGHT_ANKLE, L.RIGHT_TOE, L.RIGHT_HEEL))):
        foot = unit((p[:, toe] - p[:, heel]) * np.array([1.0, 0.0, 1.0]))
        parent = solved.glob[:, J[f"{side}_knee"]]
        local = unit(np.einsum("tji,tj->ti", parent, np.nan_to_num(foot)))
        rest = unit(REST[J[f"{side}_foot"]] - REST[J[f"{side}_ankle"]]) * np.array([1, 0, 1])
        seen = np.minimum(vis[:, toe], vis[:, heel]) > 0.3
        local = np.where(seen[:, None], local, unit(rest))
        solved.set_local(f"{side}_ankle", limit(swing(unit(rest), local), LIMITS["ankle"]))
        solved.confidence[:, J[f"{side}_ankle"]] = np.minimum(vis[:, toe], vis[:, heel])


def solve_frames(lm, pelvis=None):
    """Local rotations (T, 55, 3, 3), confidences (T, 55) and jaw angles (T,) for landmarks.

    pelvis : (3, 3) or (T, 3, 3) global orientation fitted for the shot (``fit``), or None to
    take it from each frame's hips.
    """
    n = lm.n_frames
    p = body_directions(lm)
    vis = np.nan_to_num(lm.visibility)
    seen = lm.body_seen
    p = np.where(seen[:, None, None], p, 0.0)
    solved = Solved(n)
    torso_conf = np.minimum.reduce([vis[:, i] for i in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER,
                                                        L.LEFT_HIP, L.RIGHT_HIP)])
    pel, torso = torso_rotations(np.where(seen[:, None, None], p, 1.0), torso_conf)
    if pelvis is not None:
        pel = np.broadcast_to(pelvis, pel.shape)
    solved.set_local("pelvis", pel)
    solved.confidence[:, 0] = torso_conf
    rel = np.swapaxes(pel, -1, -2) @ torso
    third = limit(fraction(rel, 1.0 / 3.0), LIMITS["spine"])
    for joint in ("spine1", "spine2", "spine3"):
        solved.set_local(joint, third)
        solved.confidence[:, J[joint]] = torso_conf
    solved.refresh(["left_collar", "right_collar"])
    solved.confidence[:, [J["left_collar"], J["right_collar"]]] = torso_conf[:, None]
    legs = hips_at_joints(p)
    for limbs, solve, points in ((ARMS, solve_arm, p), (LEGS, solve_leg, legs)):
        for limb in limbs:
            a, b, c = limb[3]
            hold = ~seen | (np.minimum.reduce([vis[:, a], vis[:, b], vis[:, c]]) < 0.2)
            solve(solved, points, vis, limb, hold)
    solve_ankles(solved, p, vis)
    solved.refresh(["left_foot", "right_foot"])
    solve_head(solved, lm, p, vis)
    hands_seen = lm.hand_seen
    for k, side in enumerate(("left", "right")):
        solve_hand(solved, lm.hands[:, k], side, hands_seen[:, k] & seen)
    jaw = jaw_angles(lm)
    solved.confidence[:, J["jaw"]] = np.isfinite(jaw)
    return solved.local, solved.confidence, np.nan_to_num(jaw)
