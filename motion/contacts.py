"""Foot contacts from ankle paths: the frames a foot stands on the floor, and that floor.

One rule for every stage that plants feet (generation's feet stage, the retargeting onto a
rig), so a motion baked directly plants the same feet as one generated. Both feet stand on one
floor: a foot is low when it is near the lower of the two ankles, never measured against its
own lowest point, which would plant a foot the motion holds a few centimetres up where it
hangs, or leave it there when it is lower elsewhere in the take.

A foot off the floor for longer than a step (MAX_STEP_SECONDS) that stays still is standing,
not stepping; shorter lifts stay steps.
"""

import numpy as np

from .filters import maximum_filter1d, minimum_filter1d
from .runs import true_runs
from .skeleton import JOINT_INDEX, neutral_skeleton

CONTACT_HEIGHT = 0.03  # m above the other ankle
CONTACT_SPEED = 0.25  # m/s horizontal
STAND_HEIGHT = 0.15  # m above the other ankle: a foot this low and still for longer than a step stands
MIN_STEP_SECONDS = 0.3  # a step lifts, moves and places the foot over at least this
MAX_STEP_SECONDS = 0.7  # and at most this (a longer lift waits on the floor first)
ANCHOR_RAMP_SECONDS = 0.2  # a landing foot's say in where the root goes grows over this
MIN_STEP_DISTANCE = 0.04  # m: plants closer than this are one plant
OWN_FLOOR = 0.02  # m: a foot standing up to this much above the other stands on its own floor


def detect_contacts(ankles, fps, speed=CONTACT_SPEED):
    """(T, 2) planted flags from world ankle positions (T, 2, 3), y up, metres: low, and
    horizontally slower than ``speed`` m/s.

    Low is within CONTACT_HEIGHT of the lower ankle in the same frame, not of one floor
    height for the whole take: a root height that drifts (mocap on a skeleton of other
    proportions, a crouch) must not lift both feet off the floor for seconds.

    A foot off the floor for longer than MAX_STEP_SECONDS is planted too where it stays still
    (:func:`standing`) up to STAND_HEIGHT above the other one: no step lasts that long, so it
    is a standing foot the motion left hovering (a generator's pose a few centimetres off, a
    pose frozen mid-step). Shorter lifts are left to be steps.
    """
    height = ankles[..., 1]
    above = height - height.min(axis=1, keepdims=True)
    step = np.zeros_like(height)
    if len(ankles) > 1:
        step[1:] = np.linalg.norm(np.diff(ankles[..., [0, 2]], axis=0), axis=-1) * fps
        step[0] = step[1]
    contacts = (above <= CONTACT_HEIGHT) & (step < speed)
    still = standing(ankles, above, fps)
    longest = MAX_STEP_SECONDS * fps
    # only in lifts too long to be a step, and a step's time away from the plants around them:
    # the foot steps to its standing place and from it, and shorter lifts stay steps
    margin = int(round(MIN_STEP_SECONDS * fps))
    for leg in range(contacts.shape[1]):
        for start, stop in true_runs(~contacts[:, leg]):
            if stop - start > longest:
                first = start + margin if start > 0 else 0
                last = stop - margin if stop < len(contacts) else stop
                contacts[first:last, leg] = still[first:last, leg]
    return contacts.astype(np.float32)


def standing(ankles, above, fps):
    """(T, 2) bool: frames of windows longer than MAX_STEP_SECONDS in which a foot stays within
    MIN_STEP_DISTANCE of one place and at most STAND_HEIGHT above the other foot.

    ankles : (T, 2, 3) world positions; above : (T, 2) height over the lower ankle, metres.
    Spread over a window, not speed per frame: a slow real step moves the foot further than a
    standing one ever drifts, however slowly it goes.
    """
    size = 2 * int(round(MAX_STEP_SECONDS * fps / 2)) + 1  # odd: centred windows
    if len(ankles) < size:
        return np.zeros(above.shape, bool)
    xz = ankles[..., [0, 2]]
    spread = np.hypot(*(maximum_filter1d(xz[..., k], size, axis=0) - minimum_filter1d(xz[..., k], size, axis=0)
                        for k in range(2)))
    still = (spread < MIN_STEP_DISTANCE) & (maximum_filter1d(above, size, axis=0) <= STAND_HEIGHT)
    # every frame of a window that is still
    return maximum_filter1d(still.astype(np.int8), size, axis=0) > 0


def floor_height(contacts, ankles):
    """The floor's ankle height, metres: the lower of the two feet's median heights over their
    contacts (the foot that bears the weight stands on it); None when no foot has a contact.

    contacts : (T, 2) bool; ankles : (T, 2, 3) world ankle positions. Where each foot stands
    on it (at its own height, up to OWN_FLOOR above): :func:`foot_floors`.
    """
    heights = [h for h in _contact_heights(contacts, ankles) if h is not None]
    return float(min(heights)) if heights else None


def foot_floors(contacts, ankles, own=OWN_FLOOR):
    """[left, right] ankle heights each foot is planted at, metres (None for a foot with no
    contact): its own median over its contacts where that is within ``own`` of the floor
    (:func:`floor_height`), else the floor. A speaker's two ankles do not rest at one height
    (a heel, a shoe, the capture: his right ankle stands 1.6 cm above his left) and a leg solved
    down to the other foot's height bends a knee he keeps straight; a foot held higher than that
    is held in the air and comes down."""
    heights = _contact_heights(contacts, ankles)
    known = [h for h in heights if h is not None]
    if not known:
        return heights
    floor = min(known)
    return [None if h is None else h if h - floor <= own else floor for h in heights]


def _contact_heights(contacts, ankles):
    """[left, right] each foot's median ankle height over its contacts (None: no contact)."""
    return [float(np.median(ankles[contacts[:, leg], leg, 1])) if contacts[:, leg].any() else None
            for leg in range(2)]


def anchored_root(poses, trans, contacts, skeleton=None, fps=30.0):
    """(T, 3) float32 root translation whose horizontal path keeps the planted feet in place.

    poses : (T, 55, 3) axis-angle; trans : (T, 3) the root as it was; contacts : (T, 2) flags
    (left, right) of the feet that stand. Where a foot stands in two frames running, the root
    moves by the opposite of that foot's move relative to the root (the mean of both feet's when
    both stand); elsewhere, as ``trans`` moves. Motion pieced together from real takes (motion
    matching) keeps every piece's own legs this way: the root follows the feet across the joins
    instead of the feet sliding to follow the root, so no leg solve has to bend real legs.
    A foot's say is eased in over ANCHOR_RAMP_SECONDS after it lands and out before it lifts
    (a foot still moves a little as it touches down): switched at once, the root changed speed
    within a frame, four times the speaker's largest root acceleration. The height is left as
    it was.
    """
    trans = np.asarray(trans, np.float64)
    if len(trans) < 2:
        return trans.astype(np.float32)
    ankles = [JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]]
    feet = (skeleton or neutral_skeleton()).forward_kinematics(np.asarray(poses))[1][:, ankles][..., [0, 2]]
    stand = np.asarray(contacts) > 0.5
    say = _eased(stand[1:] & stand[:-1], max(1, int(round(ANCHOR_RAMP_SECONDS * fps))))  # (T-1, 2)
    feet_step = np.diff(feet, axis=0)  # (T-1, 2, 2) each foot's move relative to the root
    total = say.sum(axis=1, keepdims=True)
    followed = -(say[..., None] * feet_step).sum(axis=1)
    own = np.diff(trans[:, [0, 2]], axis=0)
    step = np.where(total >= 1.0, followed / np.maximum(total, 1.0), followed + (1.0 - total) * own)
    out = trans.copy()
    out[1:, [0, 2]] = trans[0, [0, 2]] + np.cumsum(step, axis=0)
    return out.astype(np.float32)


def _eased(flags, ramp):
    """(T, K) float weights of (T, K) bool ``flags``: 1 inside each run, rising over its first
    ``ramp`` frames and falling over its last (a run shorter than two ramps peaks below 1)."""
    out = np.zeros(flags.shape)
    for k in range(flags.shape[1]):
        for start, stop in true_runs(flags[:, k]):
            i = np.arange(stop - start)
            out[start:stop, k] = np.minimum(1.0, np.minimum(i + 1, stop - start - i) / ramp)
    return out
