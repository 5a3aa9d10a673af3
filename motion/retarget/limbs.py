"""Limb roll: each arm and leg segment's twist spread along it the way riggers intend.

A segment runs from a limb joint to the next one (shoulder -> elbow, elbow -> wrist, hip -> knee,
knee -> ankle). Its rotation splits into a *swing*, which points the segment, and a *twist*
about the segment's own line (the line from its bone's head to the next mapped bone's head in
the rest pose, never the bone's Y axis, which an FBX imported without bone orientation points
anywhere). The swing always stays on the limb bone. The twist goes where the skin twists:

- upper arm, thigh: the roll at the shoulder/hip. With twist bones along the segment each takes
  the share of its place along it (nothing at the top, all of it at the elbow) and the limb
  bone keeps the swing only; without twist bones the limb bone takes it all.
- forearm, shin: the roll of the hand/foot against the upper limb (forearm pronation happens
  along the forearm, not at the elbow or wrist). Twist bones take their share by place, the
  limb bone none; without twist bones the limb bone takes half, so neither the elbow nor the
  wrist wraps more than half the turn (no candy-wrapper joints).

Twist bones are the unmapped bones on the chain between two mapped limb bones, and the unmapped
bones named twist/roll that hang under a limb bone and lie along its segment.
"""

from dataclasses import dataclass

import numpy as np

from ..rotations import matrix_to_quat
from ..skeleton import PARENTS
from .conventions import axis_angle_matrix
from .names import parse

# (upper joint, lower joint, end joint) of each limb, SMPL-X indices.
LIMBS = ((16, 18, 20), (17, 19, 21), (1, 4, 7), (2, 5, 8))
# A twist bone lies within this share of the segment's length from its line.
_NEAR_LINE = 0.25
LOWER_SHARE = 0.5  # a lower limb bone without twist bones takes half the hand/foot's roll


@dataclass
class Segment:
    """One limb segment of a rig.

    joint : SMPL-X joint of the segment (shoulder, elbow, hip or knee); bone : its rig bone.
    axis : (3,) unit rest direction of the segment, armature space.
    twist : [(bone, place)] twist bones with their place along the segment (0 top, 1 end).
    end_joint : for a lower segment, the SMPL-X joint whose roll it spreads (wrist, ankle);
        -1 for an upper segment.
    """

    joint: int
    bone: int
    axis: np.ndarray
    twist: list
    end_joint: int = -1

    @property
    def lower(self):
        return self.end_joint >= 0

    @property
    def limb_share(self):
        """Share of the segment's twist the limb bone itself keeps."""
        if self.twist:
            return 0.0
        return LOWER_SHARE if self.lower else 1.0


def find_segments(rig, parents, joint_bone):
    """[Segment] of every limb segment whose bone and next bone are both mapped.

    parents : (B,) effective parents (the deform chain of a Rigify rig).
    """
    mapped = {int(b) for b in joint_bone if b >= 0}
    above_mapped = set()
    for b in mapped:
        above_mapped.update(rig.ancestors(b, parents))
    segments = []
    for upper, lower, end in LIMBS:
        for joint, nxt, end_joint in ((upper, lower, -1), (lower, end, end)):
            a, b = int(joint_bone[joint]), int(joint_bone[nxt])
            if a < 0 or b < 0 or a not in rig.ancestors(b, parents):
                continue
            axis = rig.heads[b] - rig.heads[a]
            length = float(np.linalg.norm(axis))
            if length < 1e-9:
                continue
            axis = axis / length
            chain = []
            x = parents[b]
            while x != a:
                chain.append(int(x))
                x = parents[x]
            twist = [t for t in chain if t not in mapped]
            twist += _leaf_twist_bones(rig, parents, [a] + chain, mapped, above_mapped,
                                       rig.heads[a], axis, length)
            segments.append(Segment(joint, a, axis, _places(rig, twist, rig.heads[a], axis, length),
                                    end_joint))
    return segments


def _leaf_twist_bones(rig, parents, owners, mapped, above_mapped, head, axis, length):
    """Unmapped twist/roll-named bones under ``owners`` lying along the segment."""
    deform_only = rig.deform.any()
    out = []
    for t in range(len(rig)):
        if t in mapped or t in above_mapped or int(parents[t]) not in owners:
            continue
        if deform_only and not rig.deform[t]:
            continue
        if not parse(rig.names[t]).twist:
            continue
        offset = rig.heads[t] - head
        along = float(offset @ axis)
        across = float(np.linalg.norm(offset - along * axis))
        if -0.05 * length <= along <= 1.05 * length and across <= _NEAR_LINE * length:
            out.append(t)
    return out


def _places(rig, twist, head, axis, length):
    """[(bone, place)] of twist bones along the segment, nearest the top first: the middle of
    the stretch each one covers, from its head to the next one's head (or the segment's end).
    Tails are not used: an FBX bone's tail may point anywhere."""
    starts = sorted((float(np.clip((rig.heads[t] - head) @ axis / length, 0.0, 1.0)), t)
                    for t in twist)
    ends = [f for f, _ in starts[1:]] + [1.0]
    return [(t, 0.5 * (f + end)) for (f, t), end in zip(starts, ends)]


def twist_angle(rotations, axis):
    """(T,) twist angle (radians) of rotations (T, 3, 3) about a unit axis, continuous in time
    and centred on (-pi, pi]."""
    q = matrix_to_quat(rotations)
    angle = 2.0 * np.arctan2(q[:, 1:] @ axis, q[:, 0])
    angle = np.unwrap((angle + np.pi) % (2.0 * np.pi) - np.pi)
    centre = np.median(angle) if len(angle) else 0.0
    return angle - 2.0 * np.pi * np.round(centre / (2.0 * np.pi))


def swing(rotations, axis, angle):
    """Rotations (T, 3, 3) with their twist ``angle`` (T,) about ``axis`` taken out."""
    return rotations @ axis_angle_matrix(axis, -angle)


def distribute(segments, virtual, deltas):
    """Set the world deltas of limb bones and their twist bones from the SMPL-X joints' virtual
    deltas (see :mod:`.plan`): swing on the limb bone, twist spread by place.

    virtual : callable joint -> (T, 3, 3) world delta the rig would get for that joint.
    deltas : {bone: (T, 3, 3)}, updated in place.
    """
    for seg in segments:
        if seg.lower:
            base = virtual(PARENTS[seg.joint])  # the whole upper limb, roll included
            relative = np.swapaxes(base, -1, -2) @ virtual(seg.joint)
            base = base @ swing(relative, seg.axis, twist_angle(relative, seg.axis))
            angle = twist_angle(np.swapaxes(base, -1, -2) @ virtual(seg.end_joint), seg.axis)
        else:
            parent = virtual(PARENTS[seg.joint])
            relative = np.swapaxes(parent, -1, -2) @ virtual(seg.joint)
            angle = twist_angle(relative, seg.axis)
            base = parent @ swing(relative, seg.axis, angle)
        deltas[seg.bone] = base @ axis_angle_matrix(seg.axis, seg.limb_share * angle)
        for bone, fraction in seg.twist:
            deltas[bone] = base @ axis_angle_matrix(seg.axis, fraction * angle)
