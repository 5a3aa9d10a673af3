"""Where a rig's own mechanics put some of its bones over a take, as Blender evaluates them.

    heads = evaluated_heads(armature, channels, ["thigh_fk.L", "thigh_fk.R"])  # (T, 2, 3)

A rig keyed through its controls places its hip joints by its own constraints and drivers, so
Blender has to evaluate the rig at every frame of the take. Evaluating the user's armature
would cost the whole rig (706 bones on a Rigify rig) and every mesh bound to it, each frame, and
would move the user's scene through the take. Instead Blender evaluates copies of the armature
in a scene of their own: copies holding only the bones the asked bones hang on (parents,
constraint targets, driver inputs, IK chains through them; 16 of a Rigify rig's 706), and
``COPIES`` of them, each a frame further into the take, so that one evaluation reads that many
frames. The stripped copies are checked against a whole copy at three frames; where they differ
(something the search cannot see), the whole copy is evaluated frame by frame instead.
Everything made for it is removed again.
"""

import logging
import re

import bpy
import numpy as np

from ..motion.retarget import RigMotion
from .keyframes import write_action

log = logging.getLogger(__name__)

COPIES = 16  # frames one evaluation reads (one stripped copy each)
PROBE = "talkrig probe"
_NAME = r"""\[(["'])((?:(?!\1)[^\\]|\\.)*)\1\]"""  # a quoted name, its quotes escaped inside
_BONE_PATH = re.compile(r"pose\.bones" + _NAME)
_DATA_BONE_PATH = re.compile(r"^bones" + _NAME)


def evaluated_heads(obj, channels, bones):
    """(T, len(bones), 3) armature-space heads of ``bones`` with ``channels`` (a RigMotion)
    keyed on armature ``obj``, as Blender evaluates them frame by frame. The user's scene, its
    frame and the armature's own animation are left as they were."""
    n = channels.n_frames
    checks = sorted({0, n // 2, n - 1})
    with _ProbeScene() as probe:
        whole = probe.copy(obj)
        probe.key([whole], _at(channels, checks))
        reference = probe.read([whole], bones, range(len(checks)), len(checks))
        probe.unlink(whole)
        keep = needed_bones(obj, bones)
        copies = probe.stripped_copies(obj, keep, min(COPIES, n))
        if copies:
            probe.key(copies, _only(channels, keep))
            heads = probe.read(copies, bones, range(0, n, len(copies)), n)
            if np.allclose(heads[checks], reference, rtol=0.0, atol=_tolerance(reference)):
                return heads
            log.info("%s: its bones %s hang on more than its parents, constraints and drivers "
                     "show; evaluated whole", obj.name, ", ".join(bones))
            for copy in copies:
                probe.unlink(copy)
        whole = probe.copy(obj)
        probe.key([whole], channels)
        return probe.read([whole], bones, range(n), n)


def needed_bones(obj, bones):
    """The bones whose pose can move ``bones``: each one's parent, the bones its constraints
    and its drivers read, and the bones of any IK chain through it, and theirs in turn."""
    pose = obj.pose.bones
    drivers = _drivers_by_bone(obj)
    chains = _ik_chains(obj)
    keep, todo = set(), [b for b in bones if b in pose]
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        bone = pose[name]
        if bone.parent is not None:
            todo.append(bone.parent.name)
        todo.extend(_constraint_bones(obj, bone))
        for driver in drivers.get(name, ()):
            todo.extend(_driver_bones(obj, driver))
        todo.extend(chains.get(name, ()))
    return keep


def _constraint_bones(obj, bone):
    """Bones of ``obj`` that ``bone``'s constraints read."""
    out = []
    for con in bone.constraints:
        for target, sub in ((getattr(con, "target", None), getattr(con, "subtarget", "")),
                            (getattr(con, "pole_target", None), getattr(con, "pole_subtarget", ""))):
            if target == obj and sub:
                out.append(sub)
        out.extend(t.subtarget for t in getattr(con, "targets", ()) if t.target == obj and t.subtarget)
    return out


def _drivers_by_bone(obj):
    """{bone: [driver F-Curves]} of the drivers on ``obj``'s pose bones (their constraints and
    custom properties too) and on its armature's bones."""
    out = {}
    for owner, pattern in ((obj, _BONE_PATH), (obj.data, _DATA_BONE_PATH)):
        anim = getattr(owner, "animation_data", None)
        for fcurve in anim.drivers if anim is not None else ():
            found = pattern.match(fcurve.data_path)
            if found:
                out.setdefault(_unescape(found.group(2)), []).append(fcurve)
    return out


def _driver_bones(obj, fcurve):
    """Bones of ``obj`` that a driver's variables read."""
    out = []
    for variable in fcurve.driver.variables:
        for target in variable.targets:
            if target.id not in (obj, obj.data, None):
                continue
            if target.bone_target:
                out.append(target.bone_target)
            out.extend(_unescape(m.group(2)) for m in _BONE_PATH.finditer(target.data_path or ""))
    return out


def _ik_chains(obj):
    """{bone: bones whose IK moves it}: an IK constraint turns the bones of its chain, so every
    bone of the chain depends on the constrained bone (and, through it, on the IK's targets)."""
    out = {}
    for bone in obj.pose.bones:
        for con in bone.constraints:
            if con.type not in ("IK", "SPLINE_IK") or not con.enabled:
                continue
            chain, link, count = [], bone, con.chain_count or len(obj.pose.bones)
            while link is not None and len(chain) < count:
                chain.append(link)
                link = link.parent
            for link in chain[1:]:
                out.setdefault(link.name, []).append(bone.name)
    return out


def _unescape(name):
    return re.sub(r"\\(.)", r"\1", name)


def _only(channels, keep):
    """``channels`` on the bones in ``keep`` only."""
    rot = [k for k, b in enumerate(channels.bone_names) if b in keep]
    loc = [k for k, b in enumerate(channels.location_bones) if b in keep]
    return RigMotion([channels.bone_names[k] for k in rot], channels.rotations[:, rot],
                     [channels.location_bones[k] for k in loc], channels.locations[:, loc],
                     fps=channels.fps, rig_name=channels.rig_name,
                     object_offsets=channels.object_offsets,
                     switches={b: v for b, v in channels.switches.items() if b in keep})


def _at(channels, frames):
    """``channels`` at ``frames`` only, one after the other."""
    offsets = channels.object_offsets
    return RigMotion(channels.bone_names, channels.rotations[frames], channels.location_bones,
                     channels.locations[frames], fps=channels.fps, rig_name=channels.rig_name,
                     object_offsets=None if offsets is None else offsets[frames],
                     switches=channels.switches)


def _tolerance(reference):
    return 1e-5 * max(1.0, float(np.abs(reference).max()))


class _ProbeScene:
    """A scene of its own for copies of an armature; on leaving, the scene and every copy,
    armature and action made for it are removed."""

    def __enter__(self):
        self.scene = bpy.data.scenes.new(PROBE)
        self.objects, self.armatures, self.actions = [], [], []
        return self

    def __exit__(self, *exc):
        for obj in self.objects:
            bpy.data.objects.remove(obj, do_unlink=True)
        for data in self.armatures:
            bpy.data.armatures.remove(data)
        for action in self.actions:
            bpy.data.actions.remove(action)
        bpy.data.scenes.remove(self.scene)
        return False

    def copy(self, obj, data=None):
        """A copy of ``obj`` (on armature ``data`` when given) in this scene, without its own
        animation but with its drivers."""
        copy = obj.copy()
        self.objects.append(copy)
        if data is not None:
            copy.data = data
        anim = copy.animation_data
        if anim is not None:
            anim.action = None
            for track in list(anim.nla_tracks):
                anim.nla_tracks.remove(track)
            anim.use_nla = True
        self.link(copy)
        return copy

    def key(self, copies, channels):
        """Key ``channels`` on ``copies``, the i-th i frames early: at scene frame 1 + s it
        stands as the take does at frame s + i (one Action, an NLA strip on each copy)."""
        action = write_action(copies[0], channels, PROBE, frame_start=1, mode="nla",
                              mute_constraints=False, scene_fps=channels.fps)
        self.actions.append(action)
        slot = copies[0].animation_data.nla_tracks[-1].strips[0].action_slot
        for offset, copy in enumerate(copies[1:], 1):
            anim = copy.animation_data or copy.animation_data_create()
            strip = anim.nla_tracks.new().strips.new(PROBE, 1 - offset, action)
            strip.action_slot = slot

    def stripped_copies(self, obj, keep, count):
        """``count`` copies of ``obj`` holding only the bones in ``keep`` (and their drivers);
        [] when Blender will not edit the armature."""
        data = obj.data.copy()
        self.armatures.append(data)
        first = self.copy(obj, data)
        try:
            _strip(first, self.scene, keep)
        except RuntimeError as exc:
            log.info("%s: not stripped for measuring (%s)", obj.name, exc)
            self.unlink(first)
            return []
        return [first] + [self.copy(first) for _ in range(count - 1)]

    def link(self, obj):
        self.scene.collection.objects.link(obj)

    def unlink(self, obj):
        self.scene.collection.objects.unlink(obj)

    def read(self, copies, bones, starts, n):
        """(len(starts) * len(copies) frames, len(bones), 3) heads, evaluating the scene at each
        start: copy i gives frame start + i (frames past the take's end are not read)."""
        layer = self.scene.view_layers[0]
        frames = [s + i for s in starts for i in range(len(copies)) if s + i < n]
        heads = np.empty((len(frames), len(bones), 3))
        k = 0
        for start in starts:
            self.scene.frame_set(1 + start)
            for i, copy in enumerate(copies):
                if start + i < n:
                    pose = copy.evaluated_get(layer.depsgraph).pose.bones
                    heads[k] = [pose[b].head for b in bones]
                    k += 1
        return heads


def _strip(copy, scene, keep):
    """Remove every bone of ``copy``'s armature but ``keep``, and the drivers of those bones."""
    for owner, pattern in ((copy, _BONE_PATH), (copy.data, _DATA_BONE_PATH)):
        anim = owner.animation_data
        for fcurve in list(anim.drivers) if anim is not None else ():
            found = pattern.match(fcurve.data_path)
            if found and _unescape(found.group(2)) not in keep:
                anim.drivers.remove(fcurve)
    layer = scene.view_layers[0]
    layer.objects.active = copy
    with bpy.context.temp_override(scene=scene, view_layer=layer, active_object=copy,
                                   object=copy, selected_objects=[copy]):
        bpy.ops.object.mode_set(mode="EDIT")
        try:
            bones = copy.data.edit_bones
            for bone in [b for b in bones if b.name not in keep]:
                bones.remove(bone)
        finally:
            bpy.ops.object.mode_set(mode="OBJECT")
