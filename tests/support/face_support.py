"""Helpers of the face tests in Blender: the test head on the CC0 avatar, evaluated vertex
positions, and mouth poses named by the Rhubarb letters."""

import numpy as np

HEAD_BONE = "spine.005"


def head_on_avatar(bpy, avatar, path):
    """Save a .blend at ``path``: the CC0 avatar with the talkrig test head riding its head bone
    (a child of the armature, so a bake keys its shape keys with the body). Returns the path."""
    from mathutils import Matrix, Vector

    from talkrig.scenes.facehead import build_face_head
    from talkrig.exporters.scene import load_avatar

    arm = load_avatar(avatar).armature
    head = build_face_head()
    bone = arm.data.bones[HEAD_BONE]
    where = arm.matrix_world @ (bone.head_local + Vector((0.0, -0.02, 0.1)))
    head.parent = arm
    head.parent_type = "BONE"
    head.parent_bone = HEAD_BONE
    head.matrix_world = Matrix.Translation(where)
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    return path


def evaluated_positions(bpy, obj, frames):
    """(F, N, 3) vertex positions of ``obj`` in its own space with shape keys applied, at each
    scene frame (the depsgraph's evaluated mesh)."""
    scene = bpy.context.scene
    out = []
    for frame in frames:
        scene.frame_set(int(frame))
        evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
        mesh = evaluated.to_mesh()
        co = np.empty(len(mesh.vertices) * 3, np.float32)
        mesh.vertices.foreach_get("co", co)
        evaluated.to_mesh_clear()
        out.append(co.reshape(-1, 3))
    return np.array(out)


def letter_poses(bpy, arm, bone, letters="ABCDEFGHX"):
    """An Action per mouth letter that turns ``bone`` by a different angle about x (the way a
    2D rig switches mouth drawings); returns {letter: angle in radians}."""
    angles = {}
    pose_bone = arm.pose.bones[bone]
    pose_bone.rotation_mode = "XYZ"
    for k, letter in enumerate(letters):
        angle = 0.1 * (k + 1)
        action = bpy.data.actions.new(f"Mouth_{letter}")
        slot = action.slots.new(id_type="OBJECT", name=arm.name)
        bag = action.layers.new("Layer").strips.new(type="KEYFRAME").channelbag(slot, ensure=True)
        curve = bag.fcurves.new(f'pose.bones["{bone}"].rotation_euler', index=0)
        curve.keyframe_points.insert(1, angle)
        action.use_fake_user = True
        angles[letter] = angle
    return angles
