"""Our BVH in Blender's own BVH importer (bpy module, headless): right frame count and joint
world positions equal to our forward kinematics within 1 mm."""

import numpy as np
import pytest

from talkrig.motion import JOINT_NAMES, neutral_skeleton
from talkrig.motion.bvh import write_bvh

pytestmark = pytest.mark.blender

SAMPLE_FRAMES = [0, 1, 57, 400, 777, 1200, 1349]
TOLERANCE = 1e-3  # metres


def blender_from_smplx(points):
    """SMPL-X/BVH axes (y up, facing +z) -> Blender's (z up) as the importer's default axis
    conversion (forward -Z, up Y) does: (x, y, z) -> (x, -z, y)."""
    return np.stack([points[..., 0], -points[..., 2], points[..., 1]], axis=-1)


def import_bvh(bpy, path, scale):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    result = bpy.ops.import_anim.bvh(filepath=str(path), global_scale=scale, rotate_mode="NATIVE",
                                     axis_forward="-Z", axis_up="Y", update_scene_fps=True,
                                     update_scene_duration=True)
    assert result == {"FINISHED"}
    armature = bpy.context.object
    assert armature.type == "ARMATURE"
    return armature


def world_heads(bpy, armature, frame):
    bpy.context.scene.frame_set(frame)
    matrix = armature.matrix_world
    return np.array([tuple(matrix @ armature.pose.bones[name].head) for name in JOINT_NAMES])


@pytest.mark.parametrize("units, scale", [("m", 1.0), ("cm", 0.01)])
def test_blender_import_matches_our_fk(bpy, scott_motion, tmp_path, units, scale):
    path = tmp_path / f"scott_{units}.bvh"
    write_bvh(scott_motion, path, units=units)
    armature = import_bvh(bpy, path, scale)

    assert sorted(b.name for b in armature.pose.bones) == sorted(JOINT_NAMES)
    scene = bpy.context.scene
    first, last = armature.animation_data.action.frame_range
    assert int(round(last - first)) + 1 == scott_motion.n_frames == 1350
    assert scene.render.fps == 30 and scene.render.fps_base == pytest.approx(1.0)

    _, ours = neutral_skeleton().forward_kinematics(scott_motion.poses, scott_motion.trans)
    expected = blender_from_smplx(ours)
    for frame in SAMPLE_FRAMES:
        heads = world_heads(bpy, armature, int(first) + frame)
        error = np.linalg.norm(heads - expected[frame], axis=-1)
        assert error.max() < TOLERANCE, (frame, JOINT_NAMES[int(error.argmax())], error.max())
