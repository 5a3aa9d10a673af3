"""Where the body's travel goes on a rig: the pelvis bone, a bone above it, or the object.

Blender ignores the location of a bone connected to its parent, so a rig whose pelvis is glued
to a root bone cannot move by its pelvis. Root motion is carried by (``root_target``):

- "auto": the pelvis bone when it can move, else the first bone above it that is not
  connected (usually the rig's root bone);
- "pelvis": the pelvis bone (an error when it is connected);
- "root": the bone at the top of the pelvis's hierarchy (a root bone on the floor, as game
  engines want) takes the travel along the floor, the pelvis the up and down;
- "object": the armature object takes the travel along the floor, the pelvis the up and down.

When the pelvis cannot move, the carrier takes the up and down too.
"""

from dataclasses import dataclass

import numpy as np

from .rig import RetargetError

ROOT_TARGETS = ("auto", "pelvis", "root", "object")
OBJECT = -2  # carrier index of the armature object


@dataclass
class RootCarrier:
    """What moves: bone indices (or OBJECT) for the travel along the floor and for height."""

    floor: int
    height: int
    note: str


def root_carrier(plan, target="auto"):
    """The :class:`RootCarrier` of ``plan``'s rig for a ``root_target`` (see module docstring)."""
    if target not in ROOT_TARGETS:
        raise RetargetError(f"root_target must be one of {', '.join(ROOT_TARGETS)}, got {target!r}")
    rig = plan.rig
    pelvis = plan.root_bone
    name = rig.names[pelvis]
    movable = not rig.connected[pelvis]
    above = rig.ancestors(pelvis)
    glued = f"the pelvis bone {name!r} is connected to {rig.names[above[0]]!r}" if above else ""
    if target == "pelvis" and not movable:
        raise RetargetError(f"rig {rig.name!r}: {glued}, so Blender ignores its location; move "
                            "the root with 'auto', 'root' or 'object' instead")
    if target == "auto" or target == "pelvis":
        bone = next(b for b in [pelvis] + above if not rig.connected[b])
        if bone == pelvis:
            return RootCarrier(bone, bone, f"root motion on the pelvis bone {name!r}")
        return RootCarrier(bone, bone, f"root motion on bone {rig.names[bone]!r} ({glued})")
    if target == "root":
        if not above:
            raise RetargetError(f"rig {rig.name!r} has no bone above its pelvis bone {name!r} "
                                "to carry root motion; use 'auto' or 'object'")
        top = above[-1]
        where = f"bone {rig.names[top]!r}"
    else:
        top = OBJECT
        where = "the armature object"
    if movable:
        return RootCarrier(top, pelvis, f"root motion: travel on {where}, height on the pelvis "
                                        f"bone {name!r}")
    return RootCarrier(top, top, f"root motion on {where} ({glued})")


def split_travel(plan, carrier, root_path, anchor_path):
    """Share the pelvis path between its carriers.

    root_path : (T, 3) wanted pelvis head; anchor_path : (T, 3) the wanted middle of the hips
    (``plan.anchor``'s path), armature space. A carrier that moves along the floor only follows
    the hips' travel (it starts where it stands); one that takes everything moves the connected
    pelvis exactly where it must go.
    Returns (pelvis path in armature space once the object has moved, {bone: (T, 3) head path}
    of carrier bones other than the pelvis, (T, 3) object offset in armature units or None).
    """
    rig = plan.rig
    pelvis = plan.root_bone
    up = plan.frame[:, 1]
    moved = root_path - rig.heads[pelvis]
    if carrier.height == pelvis:
        along = anchor_path - plan.anchor
    else:
        along = moved
    along = along - (along @ up)[:, None] * up
    parts = {carrier.floor: along}
    parts[carrier.height] = parts.get(carrier.height, 0.0) + (moved - along)
    offset = parts.pop(OBJECT, None)
    if offset is not None:
        root_path = root_path - offset
    bones = {b: rig.heads[b] + np.broadcast_to(part, moved.shape)
             for b, part in parts.items() if b != pelvis}
    return root_path, bones, offset
