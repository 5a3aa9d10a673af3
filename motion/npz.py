"""SMPL-X motion in npz files: BEAT2 (read/write) and AMASS SMPL-X / SMPL+H (read).

BEAT2 layout: ``poses`` (T, 165) axis-angle for the 55 joints, ``trans`` (T, 3),
``expressions`` (T, 100), ``betas`` (300,), ``model``, ``gender``, ``mocap_frame_rate``.
AMASS SMPL+H files hold (T, 156) poses (22 body + 30 hand joints, no jaw or eyes); the jaw and
eyes are filled with zeros. AMASS SMPL-X files use the 165-wide layout.

talkrig adds two optional keys that BEAT2 readers ignore: ``face_curves`` (T, K) float32 and
``face_curve_names`` (K,) text, the named face curves (ARKit blend shapes, visemes).
"""

import io
import zipfile
import zlib

import numpy as np

from .container import Motion
from .errors import MotionFileError, MotionValueError
from .npzread import NpzError, read_arrays
from .skeleton import NUM_JOINTS

SMPLX_POSE_DIM = NUM_JOINTS * 3  # 165
SMPLH_POSE_DIM = 156  # 52 joints: body 22 + hands 30
_FPS_KEYS = ("mocap_frame_rate", "mocap_framerate", "fps", "frame_rate")
# What a motion file may declare: 4 hours at 30 fps (2 at 60, 1 at 120) of float32 poses, 300
# expressions and 128 face curves; 400 MB in all (what reading it may hold at once).
MAX_FRAMES = 432_000
_PER_FRAME = {"poses": SMPLX_POSE_DIM, "trans": 3, "expressions": 300, "face_curves": 128}
KEY_BYTES = {**{key: MAX_FRAMES * width * 4 for key, width in _PER_FRAME.items()},
             "face_curve_names": 128 * 64 * 4, "*": 64 * 1024}
TOTAL_BYTES = 400_000_000
MOTION_KEYS = (*_PER_FRAME, "betas", "gender", "face_curve_names", *_FPS_KEYS)


def read_npz(path_or_bytes, name=None):
    """Read a BEAT2 or AMASS npz into a Motion.

    path_or_bytes: a path, or the file's bytes (the server passes bytes; ``name`` labels errors).
    Only the motion's keys are read, each within KEY_BYTES of what it declares (motion.npzread):
    a header claiming 10^11 frames, a deflate bomb or a huge unused key costs nothing.
    """
    label = name or (path_or_bytes if not isinstance(path_or_bytes, bytes) else "<npz bytes>")
    try:
        arrays = read_arrays(path_or_bytes, MOTION_KEYS, KEY_BYTES, TOTAL_BYTES)
    except FileNotFoundError:
        raise MotionFileError(label, "no such file") from None
    except NpzError as exc:
        raise MotionFileError(label, str(exc)) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise MotionFileError(label, f"not a readable npz file (truncated or corrupt: {first})") from None
    if len(arrays.get("poses", ())) > MAX_FRAMES:
        raise MotionFileError(label, f"key 'poses' holds {len(arrays['poses'])} frames; talkrig reads "
                                     f"at most {MAX_FRAMES} (4 hours at 30 fps)")
    return motion_from_arrays(arrays, label)


def motion_from_arrays(arrays, label="<arrays>"):
    """Build a Motion from the arrays of a BEAT2/AMASS npz, naming the bad key on error."""
    if "poses" not in arrays:
        raise MotionFileError(label, f"missing key 'poses' (keys present: {sorted(arrays)})")
    poses = _array(arrays, "poses", label, default=None)
    if poses.ndim != 2 or poses.shape[1] not in (SMPLX_POSE_DIM, SMPLH_POSE_DIM):
        raise MotionFileError(
            label,
            f"key 'poses' has shape {poses.shape}; expected (T, {SMPLX_POSE_DIM}) for SMPL-X "
            f"or (T, {SMPLH_POSE_DIM}) for SMPL+H",
        )
    if poses.shape[1] == SMPLH_POSE_DIM:
        n = poses.shape[0]
        poses = np.concatenate([poses[:, :66], np.zeros((n, 9), poses.dtype), poses[:, 66:]], 1)
    n = poses.shape[0]
    if n == 0:
        raise MotionFileError(label, "key 'poses' holds no frames")
    trans = _array(arrays, "trans", label, default=np.zeros((n, 3)))
    if trans.shape != (n, 3):
        raise MotionFileError(label, f"key 'trans' has shape {trans.shape}; expected ({n}, 3)")
    expressions = _array(arrays, "expressions", label, default=np.zeros((n, 0)))
    if expressions.ndim != 2 or expressions.shape[0] != n:
        raise MotionFileError(
            label, f"key 'expressions' has shape {expressions.shape}; expected ({n}, E)"
        )
    betas = _array(arrays, "betas", label, default=np.zeros(0)).reshape(-1)
    face_names, face_curves = _face_table(arrays, n, label)
    fps = _frame_rate(arrays, label)
    gender = _gender(arrays, label)
    try:
        return Motion(
            poses=poses.reshape(n, NUM_JOINTS, 3),
            trans=trans,
            expressions=expressions,
            betas=betas,
            fps=fps,
            gender=gender,
            face_curves=face_curves,
            face_names=face_names,
        )
    except MotionValueError as exc:
        raise MotionFileError(label, str(exc)) from None


def _array(arrays, key, label, default):
    if key not in arrays:
        return default
    value = np.asarray(arrays[key])
    if value.dtype.kind not in "iuf":  # not text, true/false or complex
        raise MotionFileError(label, f"key '{key}' is not numeric (dtype {value.dtype})")
    return value


def _face_table(arrays, n, label):
    """(names, (n, K) curves) of the optional face-curve keys; both or neither must be present."""
    if "face_curves" not in arrays and "face_curve_names" not in arrays:
        return (), None
    for key in ("face_curves", "face_curve_names"):
        if key not in arrays:
            raise MotionFileError(label, f"key '{key}' is missing beside the other face-curve key")
    names = np.asarray(arrays["face_curve_names"])
    if names.ndim != 1 or names.dtype.kind not in "US":
        raise MotionFileError(label, "key 'face_curve_names' must be a list of names, got "
                                     f"shape {names.shape} of {names.dtype}")
    curves = _array(arrays, "face_curves", label, default=None)
    if curves.shape != (n, len(names)):
        raise MotionFileError(label, f"key 'face_curves' has shape {curves.shape}; expected "
                                     f"({n}, {len(names)}) for {len(names)} face_curve_names")
    return tuple(str(name) for name in names), curves


def _gender(arrays, label):
    """"neutral", "female" or "male" as stored: text, or bytes in older SMPL files."""
    if "gender" not in arrays:
        return "neutral"
    value = np.asarray(arrays["gender"])
    if value.dtype.kind not in "SU" or value.size != 1:
        raise MotionFileError(label, f"key 'gender' must be text such as 'neutral', got "
                                     f"{value.dtype} values of shape {value.shape}")
    text = value.reshape(-1)[0]
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _frame_rate(arrays, label):
    for key in _FPS_KEYS:
        if key in arrays:
            try:
                fps = float(np.asarray(arrays[key]).reshape(-1)[0])
            except (TypeError, ValueError, IndexError):
                raise MotionFileError(label, f"key '{key}' is not a number") from None
            if not np.isfinite(fps) or fps <= 0:
                raise MotionFileError(label, f"key '{key}' must be a positive frame rate, got {fps}")
            return fps
    return 30.0


def motion_to_arrays(motion):
    """The BEAT2 npz arrays for a Motion (plus the face-curve keys when it has face curves)."""
    arrays = {
        "poses": motion.poses.reshape(motion.n_frames, SMPLX_POSE_DIM).astype(np.float32),
        "trans": motion.trans.astype(np.float32),
        "expressions": motion.expressions.astype(np.float32),
        "betas": motion.betas.astype(np.float32),
        "model": np.array("smplx2020"),
        "gender": np.array(motion.gender),
        "mocap_frame_rate": np.array(int(round(motion.fps)) if float(motion.fps).is_integer()
                                     else motion.fps),
    }
    if motion.has_face:
        arrays["face_curves"] = motion.face_curves.astype(np.float32)
        arrays["face_curve_names"] = np.array(motion.face_names, dtype=str)
    return arrays


def write_npz(motion, path):
    """Write a Motion as a BEAT2-layout npz file under exactly ``path`` (numpy would add
    ``.npz`` to a name such as ``take.NPZ``)."""
    with open(path, "wb") as handle:
        np.savez(handle, **motion_to_arrays(motion))


def npz_bytes(motion):
    """A Motion as BEAT2 npz bytes (what the server returns)."""
    buffer = io.BytesIO()
    np.savez(buffer, **motion_to_arrays(motion))
    return buffer.getvalue()
