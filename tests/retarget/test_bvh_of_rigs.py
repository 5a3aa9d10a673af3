"""BVH files of other skeletons read back as SMPL-X motion: the real take keyed onto synthetic
rigs of other conventions (tests/support: Mixamo's names in centimetres facing another way,
3ds Max Biped's, SMPL-X's names with a root, helpers and no toes on a Y-up object), written by
Blender's own BVH exporter, read by ``load_motion`` (each was refused as not SMPL-X's
skeleton). The upper body comes back where the take has it; the feet where the rig's leg solve
put them, within centimetres."""

import numpy as np
import pytest
from support.retarget_rigs import rig_data
from support.retarget_scenes import PRODUCTION, make_armature

from talkrig.motion import load_motion
from talkrig.motion.metrics.kinematics import joint_positions
from talkrig.motion.retarget import auto_map
from talkrig.motion.skeleton import JOINT_INDEX

pytestmark = [pytest.mark.blender]

UPPER = [JOINT_INDEX[j] for j in ("head", "left_elbow", "right_elbow", "left_wrist", "right_wrist")]
FEET = [JOINT_INDEX[j] for j in ("left_ankle", "right_ankle")]


@pytest.mark.parametrize("name, rig", [
    ("biped", dict(style="biped")),
    ("centimetre", PRODUCTION["centimetre"]),
    ("connected", PRODUCTION["connected"]),
])
def test_a_rigs_bvh_reads_back_as_the_take(bpy, scott_motion, tmp_path, name, rig):
    from talkrig.blender.take import key_take

    take = scott_motion[:90]
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30
    obj = make_armature(bpy, name, rig_data(**rig))
    key_take(bpy.context.scene, obj, take, auto_map, "take", 1, "assign", 30.0)
    path = tmp_path / f"{name}.bvh"
    bpy.ops.export_anim.bvh(filepath=str(path), frame_start=1, frame_end=take.n_frames)
    back = load_motion(path)
    assert back.n_frames == take.n_frames and back.fps == 30.0
    gap = np.linalg.norm(joint_positions(back) - joint_positions(take), axis=-1)
    assert gap[:, UPPER].max() < 0.005 and gap[:, FEET].max() < 0.12
