"""Landmarks a perfect detector would report for a known motion, and small real videos.

``landmarks_of(motion)`` films the built-in skeleton with a pinhole camera 3 m in front of it
and writes what MediaPipe Holistic would give (metric body points, pixel hands and face), so
the fit can be checked against exact answers without a detector. Like MediaPipe, it reads the
head along the face's own line of sight, not the hips' (:mod:`talkrig.inference.capture.sightline`),
and puts the hand's points where the hand detector does (:func:`_hands_as_read`).
"""

import subprocess
import sys
import textwrap

import numpy as np

from talkrig.inference.capture import landmarks as L
from talkrig.inference.capture.landmarks import FrameLandmarks, Landmarks
from talkrig.inference.capture.sightline import (HEAD_POINTS as HEAD_LANDMARKS, head_view_turn,
                                                 legs_as_seen, turned)
from talkrig.motion.mouth import mouth_opening
from talkrig.motion.skeleton import FINGERS, JOINT_INDEX as J, neutral_skeleton

SIZE = (640, 480)
FOCAL = 700.0
DISTANCE = 3.0
CAMERA_HEIGHT = 1.0  # metres above the floor: level with the hips

BODY = {L.LEFT_SHOULDER: "left_shoulder", L.RIGHT_SHOULDER: "right_shoulder",
        L.LEFT_ELBOW: "left_elbow", L.RIGHT_ELBOW: "right_elbow", L.LEFT_WRIST: "left_wrist",
        L.RIGHT_WRIST: "right_wrist", L.LEFT_HIP: "left_hip", L.RIGHT_HIP: "right_hip",
        L.LEFT_KNEE: "left_knee", L.RIGHT_KNEE: "right_knee", L.LEFT_ANKLE: "left_ankle",
        L.RIGHT_ANKLE: "right_ankle", L.LEFT_TOE: "left_foot", L.RIGHT_TOE: "right_foot"}
HEAD_POINTS = {  # in the head joint's frame (x left, y up, z forward), metres
    L.NOSE: (0.0, 0.02, 0.11), L.LEFT_EYE: (0.032, 0.05, 0.09), L.RIGHT_EYE: (-0.032, 0.05, 0.09),
    L.LEFT_EAR: (0.075, 0.02, 0.0), L.RIGHT_EAR: (-0.075, 0.02, 0.0),
}
FACE_POINTS = {
    "forehead": (0.0, 0.12, 0.1), "chin": (0.0, -0.09, 0.08), "upper_lip": (0.0, -0.03, 0.11),
    "mouth_left": (0.025, -0.035, 0.1), "mouth_right": (-0.025, -0.035, 0.1),
    "left_eye_outer": (0.045, 0.05, 0.08), "right_eye_outer": (-0.045, 0.05, 0.08),
    "nose_tip": (0.0, 0.01, 0.12), "left_cheek": (0.07, 0.0, 0.05),
    "right_cheek": (-0.07, 0.0, 0.05),
}


def _project(points, depth_ref, distance=DISTANCE):
    """Capture-frame points (..., 3) (camera on +z at ``distance``, CAMERA_HEIGHT m above the
    floor, looking level) -> pixels (x, y, z)."""
    z_cam = distance - points[..., 2]
    u = SIZE[0] / 2 + FOCAL * points[..., 0] / z_cam
    v = SIZE[1] / 2 - FOCAL * (points[..., 1] - CAMERA_HEIGHT) / z_cam
    d = (z_cam - depth_ref) * FOCAL / distance
    return np.stack([u, v, d], axis=-1)


def landmarks_of(motion, hidden_hands=None, distance=DISTANCE):
    """Landmarks (as a perfect detector would see them) of ``motion`` on the built-in skeleton.

    hidden_hands : (T, 2) bool, frames where the left/right hand is not found.
    distance : metres from the camera to the person.
    """
    sk = neutral_skeleton()
    rot, pos = sk.forward_kinematics(motion.poses, motion.trans)
    hand_pos = sk.forward_kinematics(_hands_as_read(motion.poses), motion.trans)[1]
    frames = []
    jaw = mouth_opening(motion)
    for t in range(motion.n_frames):
        p = pos[t]
        mid_hip = (p[J["left_hip"]] + p[J["right_hip"]]) / 2
        body = np.zeros((33, 3))
        for i, name in BODY.items():
            body[i] = p[J[name]]
        head_r, head_p = rot[t, J["head"]], p[J["head"]]
        for i, local in HEAD_POINTS.items():
            body[i] = head_p + head_r @ np.array(local)
        for side, heel in (("left", L.LEFT_HEEL), ("right", L.RIGHT_HEEL)):
            body[heel] = p[J[f"{side}_ankle"]] + rot[t, J[f"{side}_ankle"]] @ [0, -0.06, -0.05]
        world = (body - mid_hip) * [1.0, -1.0, -1.0]  # capture frame -> camera axes
        depth_ref = distance - mid_hip[2]
        image = _project(body, depth_ref, distance)
        hands = []
        for k, side in enumerate(("left", "right")):
            if hidden_hands is not None and hidden_hands[t, k]:
                hands.append(None)
                continue
            h = hand_pos[t]
            pts = [h[J[f"{side}_wrist"]]]
            for finger in FINGERS:
                chain = [h[J[f"{side}_{finger}{i}"]] for i in (1, 2, 3)]
                tip = chain[2] + (chain[2] - chain[1])
                pts.extend(chain + [tip])
            hands.append(_project(np.array(pts), depth_ref, distance))
        face = []
        for name in L.FACE_POINTS:
            if name == "lower_lip":
                local = np.array(FACE_POINTS["upper_lip"]) - [0, 0.002 + 0.085 * np.sin(jaw[t]), 0]
            else:
                local = np.array(FACE_POINTS[name])
            face.append(head_p + head_r @ local)
        face = _project(np.array(face), depth_ref, distance)
        frames.append(FrameLandmarks(body_world=world, body_image=image,
                                     body_visibility=np.ones(33), left_hand=hands[0],
                                     right_hand=hands[1], face=face))
    return _seen_from_the_face(Landmarks.stack(frames, SIZE, motion.fps))


def _hands_as_read(poses):
    """(T, 55, 3) poses whose hands are as the hand detector's points read them: each palm
    turned about its forearm and each finger joint by its offset (``ik.PALM_TURN`` and
    ``finger_offsets``, which the fit undoes)."""
    from talkrig.inference.capture import finger_offsets
    from talkrig.inference.capture.ik import PALM_TURN
    from talkrig.motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle

    out = np.array(poses, dtype=np.float64)
    turns = {f"{side}_wrist": PALM_TURN.T for side in ("left", "right")}
    turns.update(finger_offsets.offsets())
    for joint, turn in turns.items():
        out[:, J[joint]] = matrix_to_axis_angle(axis_angle_to_matrix(out[:, J[joint]]) @ turn)
    return out


def _seen_from_the_face(lm):
    """The face and the head's body points as a detector reading each crop straight on gives
    them: turned, about their own centre, from the hips' line of sight to the face's; the legs
    bent as the pose model reads them, along the hips' line of sight (sightline.legs_as_seen
    undone)."""
    back = np.swapaxes(head_view_turn(lm, FOCAL), -1, -2)
    lm.face = turned(lm.face, back)
    lm.body_world[:, HEAD_LANDMARKS] = turned(lm.body_world[:, HEAD_LANDMARKS], back)
    legs_as_seen(lm.body_world, lm.body_image[..., :2], SIZE, FOCAL, undo=True)
    return lm


def encode_video(path, frames, fps=30, audio=None, rate=16000, codec="libx264",
                 audio_codec="aac", rotation=0, mirrored=False):
    """Write frames ((T, H, W, 3) uint8) and optional mono audio (float32) with PyAV.

    rotation : a display rotation in degrees (counter-clockwise, a multiple of 90), mirrored
    after it when ``mirrored``: the frames are stored undone by it, as a phone stores an upright
    video, and shown as given."""
    import av

    quarter = rotation // 90
    if quarter % 4 or mirrored:
        frames = np.stack([np.rot90(np.fliplr(f) if mirrored else f, k=-quarter) for f in frames])
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        if quarter % 4 or mirrored:
            stream.set_display_rotation(rotation, hflip=mirrored)
        a_stream = None
        if audio is not None:
            a_stream = out.add_stream(audio_codec, rate=rate)
            a_stream.layout = "mono"
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if a_stream is not None:
            samples = np.asarray(audio, np.float32)[None]
            frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            frame.sample_rate = rate
            for packet in a_stream.encode(frame):
                out.mux(packet)
            for packet in a_stream.encode():
                out.mux(packet)


def stored_on_its_side(video, out, rotation=90):
    """A copy of ``video`` shown the same but stored as a phone stores an upright video: the
    pictures turned, a display rotation of ``rotation`` degrees turning them back."""
    from talkrig.inference.capture.video import iter_frames, probe, read_audio

    fps = round(probe(video).fps)
    frames = np.stack([rgb for _, _, rgb in iter_frames(video, fps)])
    encode_video(out, frames, fps=fps, audio=read_audio(video), rotation=rotation)
    return out


def render_character_video(motion_npz, wav, start, frames, out, size=(640, 360)):
    """Render a dressed character performing ``frames`` frames of a take from ``start`` (in a
    child process: loading the avatar resets Blender's session), audio cut to match."""
    script = textwrap.dedent(f"""
        import soundfile as sf
        from talkrig.motion import load_motion
        from talkrig.scenes.character_video import render_character_video
        m = load_motion({str(motion_npz)!r})[{start}:{start + frames}]
        a, sr = sf.read({str(wav)!r}, dtype="float32")
        a = a[int({start} / m.fps * sr):int({start + frames} / m.fps * sr)]
        sf.write({str(out) + '.wav'!r}, a, sr)
        render_character_video(m, {str(out) + '.wav'!r}, {str(out)!r}, size={tuple(size)!r})
    """)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                   timeout=600)
    return out
