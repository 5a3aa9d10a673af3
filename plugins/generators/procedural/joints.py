"""The SMPL-X joints the procedural generator names, as plain ints and tuples of
motion.skeleton's indices (its poses, posture and synthesis share them)."""

from ....motion.skeleton import EYES, JAW, JOINT_INDEX, LEFT_HAND, RIGHT_HAND

_J = JOINT_INDEX
PELVIS, SPINE1, SPINE2, SPINE3, NECK, HEAD = (_J[n] for n in ("pelvis", "spine1", "spine2", "spine3",
                                                              "neck", "head"))
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = (_J[n] for n in (
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"))
L_COLLAR, R_COLLAR, L_SHOULDER, R_SHOULDER = (_J[n] for n in (
    "left_collar", "right_collar", "left_shoulder", "right_shoulder"))
L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = (_J[n] for n in ("left_elbow", "right_elbow", "left_wrist",
                                                      "right_wrist"))
L_EYE, R_EYE = (int(j) for j in EYES)
L_ARM = (L_COLLAR, L_SHOULDER, L_ELBOW, L_WRIST)
R_ARM = (R_COLLAR, R_SHOULDER, R_ELBOW, R_WRIST)
L_FINGERS = tuple(int(j) for j in LEFT_HAND)  # index, middle, pinky, ring, thumb; 3 joints each
R_FINGERS = tuple(int(j) for j in RIGHT_HAND)
L_SIDE = L_ARM + L_FINGERS
R_SIDE = R_ARM + R_FINGERS

__all__ = ["PELVIS", "SPINE1", "SPINE2", "SPINE3", "NECK", "HEAD", "JAW", "L_HIP", "R_HIP", "L_KNEE",
           "R_KNEE", "L_ANKLE", "R_ANKLE", "L_COLLAR", "R_COLLAR", "L_SHOULDER", "R_SHOULDER",
           "L_ELBOW", "R_ELBOW", "L_WRIST", "R_WRIST", "L_EYE", "R_EYE", "L_ARM", "R_ARM",
           "L_FINGERS", "R_FINGERS", "L_SIDE", "R_SIDE"]
