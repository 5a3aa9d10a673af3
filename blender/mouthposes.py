"""The 2D mouth-cue track onto a rig's own mouth poses: Actions named by the Preston Blair /
Rhubarb letters (``A`` ... ``H``, ``X``; also ``Mouth_A``, ``mouth a``, ``Cue-A``), each holding
one pose of the rig (as a pose-library asset or a plain Action).

The take's cue track (motion.mouthcues) becomes a new Action on the armature: at every cue the
channels of that letter's pose are keyed with constant interpolation, so the mouth switches
from drawing to drawing as 2D animation does. A letter without a pose shows its stand-in (the
extended shapes fall back to basic ones: G -> B, H -> C, X -> A).
"""

import re

import numpy as np

from ..motion.mouthcues import mouth_cues
from .keyframes import action_fcurves
from .shapekeys import write_curves_action

_POSE_NAME = re.compile(r"^(?:mouth|cue|rhubarb|shape)?[\s._-]*([a-hx])$", re.IGNORECASE)
STAND_INS = {"G": "B", "H": "C", "X": "A"}
REST_VALUES = {"rotation_quaternion": {0: 1.0}, "scale": {0: 1.0, 1: 1.0, 2: 1.0}}


def mouth_pose_actions(actions, armature_obj):
    """{letter: Action} of the actions named by a mouth-shape letter that hold one pose of this
    armature's bones (a take named "a" moves: it is no mouth pose, and keyed as one it froze
    the body)."""
    found = {}
    bones = armature_obj.pose.bones
    for action in actions:
        match = _POSE_NAME.match(action.name.strip())
        if match is None or not _holds_one_pose(action):
            continue
        values = pose_values(action)
        if any(_bone_of(path) in bones for path, _ in values):
            found.setdefault(match.group(1).upper(), action)
    return found


def pose_values(action):
    """{(data path, index): value at the action's first key} over all its F-Curves."""
    values = {}
    for fcurve in action_fcurves(action):
        if len(fcurve.keyframe_points):
            first = fcurve.keyframe_points[0].co[0]
            values[(fcurve.data_path, fcurve.array_index)] = float(fcurve.evaluate(first))
    return values


def _holds_one_pose(action):
    """True when every F-Curve of ``action`` keeps one value (a pose, keyed once or held)."""
    for fcurve in action_fcurves(action):
        points = fcurve.keyframe_points
        values = np.empty(2 * len(points), np.float32)
        points.foreach_get("co", values)
        if len(points) > 1 and np.ptp(values[1::2]) > 1e-6:
            return False
    return True


def _bone_of(path):
    found = re.match(r'pose\.bones\["(.+?)"\]', path)
    return found.group(1).replace('\\"', '"') if found else None


def bake_mouth_cues(armature_obj, motion, actions, name, frame_start):
    """Key the take's mouth cues onto the armature from its letter poses, as a new Action on an
    NLA track above the body; returns the Action, or None when the rig has no letter poses."""
    poses = {letter: pose_values(action)
             for letter, action in mouth_pose_actions(actions, armature_obj).items()}
    if not poses:
        return None
    cues = mouth_cues(motion)
    channels = sorted({channel for values in poses.values() for channel in values})
    frames = frame_start + np.round(np.array([cue.start for cue in cues]) * motion.fps)  # cues start on frames
    curves = {}
    for channel in channels:
        values = [_value(poses, cue.value, channel) for cue in cues]
        curves[channel] = (frames, np.asarray(values, np.float64))
    return write_curves_action(armature_obj, "OBJECT", curves, f"{name} mouth cues", frame_start,
                               "nla", group="talkrig mouth cues", interpolation="CONSTANT")


def _value(poses, letter, channel):
    """The value of ``channel`` in ``letter``'s pose, its stand-in's, or the rest value."""
    seen = set()
    while letter not in seen:
        seen.add(letter)
        if letter in poses and channel in poses[letter]:
            return poses[letter][channel]
        letter = STAND_INS.get(letter, letter)
    path, index = channel
    return REST_VALUES.get(path.rsplit(".", 1)[-1], {}).get(index, 0.0)
