"""Undo a trained model's regression to the mean: scale its gestures up to the training
speaker's pace.

Trained on a minute of speech, a regressor hedges on audio it has never heard: its arms stay
near the mean pose and move at a third to a half of the speaker's speed, although it meets the
speaker's speed on its training windows. Per body group (the trunk and head, each arm with its
hand) the gesture band of the output, the pose minus a slow version of itself (``SLOW_SIGMA``),
is multiplied by one gain per take, chosen so that the mean speed of the group's end joints (the
head; each elbow and wrist, root-relative positions) over the frames of speech matches the
training speaker's (stored in the model at training time as ``speech_speed``). Positions, not
rotations, are matched: a model that turns its spine as much as the speaker but its shoulders
too little moves its hands too slowly, which is what the eye sees. Jitter faster than the gesture
band (``FINE_SIGMA``) is left out before the scaling so it is not amplified too. A gain never
slows a group down, never exceeds ``MAX_GAIN``, and is the same over the whole take, so pauses
stay as calm, relative to speech, as the model made them. numpy only.
"""

import numpy as np

from ...motion.metrics.kinematics import joint_positions, joint_speed
from ...motion.skeleton import LEFT_HAND, RIGHT_HAND
from .layout import vectors_to_motion
from .smoothing import smooth_columns

SLOW_SIGMA = 15.0  # frames at 30 fps: what is slower than this is posture, kept as it is
FINE_SIGMA = 1.5  # frames at 30 fps: what is faster than this is jitter, dropped before scaling
MAX_GAIN = 4.0

# (name, joints whose rotations are scaled, joints whose speed is matched); the trunk first, as
# it carries the arms.
GROUPS = (
    ("trunk", (3, 6, 9, 12, 15), (12, 15)),
    ("left arm", (13, 16, 18, 20) + tuple(LEFT_HAND.tolist()), (18, 20)),
    ("right arm", (14, 17, 19, 21) + tuple(RIGHT_HAND.tolist()), (19, 21)),
)


def speech_speed(vectors, layout, speaking, fps=30.0):
    """{group name: mean speed (m/s) of its matched joints over the frames of speech}.

    vectors : (T, D) pose vectors of ``layout``; speaking : (T,) bool. Empty without speech.
    """
    speaking = np.asarray(speaking, bool)
    both = speaking[1:] & speaking[:-1]
    if not both.any():
        return {}
    positions = joint_positions(vectors_to_motion(vectors, layout, fps))
    speed = joint_speed(positions, fps)
    return {name: float(speed[both][:, list(watched)].mean()) for name, _, watched in GROUPS}


def liven(vectors, layout, speaking, targets, fps=30.0, strength=1.0, fine_sigma=FINE_SIGMA,
          max_gain=MAX_GAIN):
    """(T, D) pose vectors with each group's gesture band scaled toward its ``targets`` speed,
    and {group name: gain used} (1.0: unchanged).

    targets : speech_speed of the training takes. strength : 0..1, how much of the way from
    gain 1 to the matching gain to go.
    """
    out = np.array(vectors, np.float32, copy=True)
    gains = {name: 1.0 for name, _, _ in GROUPS}
    if strength <= 0.0 or not np.asarray(speaking, bool).any():
        return out, gains
    scale = fps / 30.0
    for name, scaled, _ in GROUPS:
        target = float(targets.get(name) or 0.0)
        columns = layout.joint_columns(scaled)
        if target <= 0.0 or len(columns) == 0:
            continue
        base = smooth_columns(out, columns, SLOW_SIGMA * scale)[:, columns]
        band = smooth_columns(out, columns, fine_sigma * scale)[:, columns] - base

        def with_gain(g):
            moved = out.copy()
            moved[:, columns] = base + g * band
            return moved

        now = speech_speed(with_gain(1.0), layout, speaking, fps).get(name, 0.0)
        per_gain = speech_speed(with_gain(2.0), layout, speaking, fps).get(name, 0.0) - now
        if now <= 0.0 or per_gain <= 1e-9:  # speed is close to linear in the gain
            continue
        gain = float(np.clip(1.0 + (target - now) / per_gain, 1.0, max_gain))
        gains[name] = 1.0 + strength * (gain - 1.0)
        if gains[name] > 1.0:
            out = with_gain(gains[name])
    return out, gains
