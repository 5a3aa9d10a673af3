"""Where a take's keys go on an armature: its deform bones, or its own controls.

    target = retarget_target(obj, rig, bone_map, constrained="auto")
    channels = retarget(motion, target.plan.rig, plan=target.plan, settings=...)
    channels.switches = target.switches

When the mapped bones are driven by constraints (a generated Rigify rig) and a controls preset
fits the rig (``motion/retarget/presets/controls``), the motion is keyed on the controls, with
the rig's IK/FK switches set to FK for the take, so the animator keeps working with the rig as
it was built. Otherwise (or with ``constrained="deform"``) the deform bones are keyed and
their constraints switched off for the take (see ``keyframes.write_action``).

Which control each keyed control's parent follows is read from Blender itself: every control
is given a different turn, the rig is evaluated once, and each parent's turn is matched.
"""

import dataclasses
import logging
from dataclasses import dataclass, field

import bpy
import numpy as np
from mathutils import Matrix, Quaternion

from ..motion.retarget import RetargetError, make_plan
from ..motion.retarget.controls import control_rig, match_controls
from .evaluated import evaluated_heads

log = logging.getLogger(__name__)

CONSTRAINED = ("auto", "controls", "deform")
_MATCH = 1e-3  # radians: a parent "follows" a control when their turns agree this closely


@dataclass
class RetargetTarget:
    """plan : RetargetPlan to retarget with; mode : "controls" or "deform"; switches : custom
    properties to key for the take; notes : what was decided, for the report."""

    plan: object
    mode: str
    switches: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


def constrained_bones(obj, bone_map):
    """Mapped bones that have an active constraint (their pose comes from other bones)."""
    pose = obj.pose.bones
    return [b for b in bone_map.bones.values()
            if any(c.enabled and c.influence > 0.0 for c in pose[b].constraints)]


def retarget_target(obj, rig, bone_map, constrained="auto"):
    """Decide where the keys go (see the module docstring) -> RetargetTarget."""
    if constrained not in CONSTRAINED:
        raise RetargetError(f"constrained must be one of {', '.join(CONSTRAINED)}, "
                            f"got {constrained!r}")
    driven = constrained_bones(obj, bone_map) if constrained != "deform" else []
    preset = match_controls(rig) if driven else None
    if preset is None:
        if constrained == "controls":
            raise RetargetError(f"armature {obj.name!r}: no controls preset fits this rig; "
                                "bake onto its deform bones instead")
        notes = [f"{len(driven)} mapped bones are driven by constraints: keyed directly, their "
                 "constraints off for the take"] if driven else []
        return RetargetTarget(make_plan(rig, bone_map), "deform", notes=notes)
    switches = preset["switches"]
    with _switched(obj, switches), _unanimated(obj):
        follows = _follows(obj, [preset["root_motion"]] + list(preset["bones"].values()))
    controls, control_map, notes = control_rig(rig, preset, follows)
    notes = [f"keys on the rig's controls ({preset['name']} preset)"] + notes
    return RetargetTarget(make_plan(controls, control_map), "controls", dict(switches), notes)


class _switched:
    """Custom properties set for a while (the rig in FK while it is probed), then restored."""

    def __init__(self, obj, switches):
        self.pose, self.switches, self.saved = obj.pose.bones, switches, []

    def __enter__(self):
        for bone, props in self.switches.items():
            for prop, value in props.items():
                if bone in self.pose and prop in self.pose[bone]:
                    self.saved.append((bone, prop, self.pose[bone][prop]))
                    self.pose[bone][prop] = value
        return self

    def __exit__(self, *exc):
        for bone, prop, value in self.saved:
            self.pose[bone][prop] = value
        bpy.context.view_layer.update()
        return False


class _unanimated:
    """The armature without its active action and NLA for a while (its own animation must not
    move the bones being measured), then as it was."""

    def __init__(self, obj):
        self.anim = obj.animation_data or obj.animation_data_create()

    def __enter__(self):
        anim = self.anim
        self.saved = (anim.action, anim.action_slot, anim.use_nla)
        if anim.action is not None:
            keep = anim.action.use_fake_user
            anim.action.use_fake_user = True  # never left without users, even for a moment
            self.keep = keep
        anim.action = None
        anim.use_nla = False
        return self

    def __exit__(self, *exc):
        action, slot, use_nla = self.saved
        self.anim.action = action
        if action is not None:
            self.anim.action_slot = slot
            action.use_fake_user = self.keep
        self.anim.use_nla = use_nla
        bpy.context.view_layer.update()
        return False


def _follows(obj, bones, seed=0):
    """{bone: the bone of ``bones`` whose turn its parent copies, None when the parent stays
    still (or there is none), "" when it follows something else}.

    Every bone gets a different turn for one evaluation; the pose is then put back.
    """
    pose, data = obj.pose.bones, obj.data.bones
    bones = [b for b in dict.fromkeys(bones) if b and b in pose]
    saved = {b: pose[b].matrix_basis.copy() for b in bones}
    rng = np.random.default_rng(seed)
    try:
        for b in bones:
            turn = Quaternion(rng.normal(size=3), rng.uniform(0.3, 0.8)).to_matrix().to_4x4()
            pose[b].matrix_basis = turn
        bpy.context.view_layer.update()

        def delta(name):
            posed = np.array(pose[name].matrix)[:3, :3]
            posed /= np.linalg.norm(posed, axis=0)
            return posed @ np.array(data[name].matrix_local)[:3, :3].T

        turns = {b: delta(b) for b in bones}
        out = {}
        for b in bones:
            parent = data[b].parent
            if parent is None:
                out[b] = None
                continue
            mine = delta(parent.name)
            found = ""
            for candidate, turn in [(None, np.eye(3))] + list(turns.items()):
                if candidate != b and _angle(mine, turn) < _MATCH:
                    found = candidate
                    break
            out[b] = found
        return out
    finally:
        for b, basis in saved.items():
            pose[b].matrix_basis = Matrix(basis)
        bpy.context.view_layer.update()


def _angle(a, b):
    c = (np.trace(a.T @ b) - 1.0) / 2.0
    return float(np.arccos(np.clip(c, -1.0, 1.0)))


def retarget_onto(obj, motion, bone_map, rig=None, settings=None):
    """Retarget ``motion`` onto armature ``obj`` where its keys belong -> (RigMotion,
    RetargetTarget). settings : a ``motion.retarget.RetargetSettings`` (None: the defaults).

    On a rig keyed through its controls the hip joints are placed by the rig's own mechanics
    (a Rigify spine bends between hips and chest), so the take is first keyed without foot
    planting, Blender reads where the hips go, and the legs are then solved from there.
    """
    from ..motion.retarget import RetargetSettings
    from .rig_io import read_rig

    settings = settings or RetargetSettings()
    target = retarget_target(obj, rig or read_rig(obj), bone_map, settings.constrained)
    return finish_pass(obj, motion, target, settings, first_pass(motion, target, settings)), target


@dataclass
class FirstPass:
    """A take retargeted without Blender. channels : the RigMotion; hips : the bones whose
    heads Blender must measure before the legs are solved from them ([] when ``channels`` are
    already the take's)."""

    channels: object
    hips: list


def first_pass(motion, target, settings):
    """The part of :func:`retarget_onto` that needs no Blender (numpy only: any thread) ->
    FirstPass."""
    from ..motion.retarget import retarget

    plan = target.plan
    legs = [int(plan.joint_bone[j]) for j in (1, 2)]
    hips = []
    if target.mode == "controls" and settings.plant_feet and min(legs) >= 0:
        hips = [plan.rig.names[b] for b in legs]
        settings = dataclasses.replace(settings, plant_feet=False)
    channels = retarget(motion, plan.rig, plan=plan, settings=settings)
    channels.switches = target.switches
    return FirstPass(channels, hips)


def finish_pass(obj, motion, target, settings, first):
    """The take's RigMotion from its :func:`first_pass`: the legs solved from where Blender
    puts the hips, where they must be (main thread)."""
    channels = first.channels
    if first.hips:
        channels = solved_legs(motion, target, settings, evaluated_heads(obj, channels, first.hips))
    for note in target.notes:
        log.info("%s: %s", obj.name, note)
    return channels


def solved_legs(motion, target, settings, hips):
    """The take's RigMotion with its legs solved from ``hips`` (T, 2, 3), where Blender put the
    hip joints (numpy only: any thread)."""
    from ..motion.retarget import retarget

    channels = retarget(motion, target.plan.rig, plan=target.plan, settings=settings, hips=hips)
    channels.switches = target.switches
    return channels
