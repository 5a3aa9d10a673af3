"""BVH files of the SMPL-X 55-joint skeleton, read and written with numpy only.

What talkrig writes
-------------------
- HIERARCHY: ``ROOT pelvis`` and one ``JOINT`` per other SMPL-X joint, named exactly as
  ``skeleton.JOINT_NAMES`` and nested as ``PARENTS`` (children in SMPL-X index order). OFFSETs are
  the rest skeleton (SMPL-X T-pose, y up, facing +z); the root OFFSET is the pelvis rest position
  in the SMPL-X model frame. Leaf joints end in an ``End Site`` that extends their bone by half.
- Channels: root ``Xposition Yposition Zposition Zrotation Yrotation Xrotation``, every other
  joint ``Zrotation Yrotation Xrotation``. Angles are in degrees and compose as
  ``R = Rz @ Ry @ Rx`` (the channel list read left to right, the usual BVH reading, and what
  Blender's importer does). Curves are made continuous frame to frame (no 360-degree jumps).
- Root position channels hold the pelvis's absolute position, ``trans + rest pelvis``; the
  root OFFSET is subtracted again on reading. Blender's importer uses the same convention.
- Units: metres by default (Blender imports it at scale 1.0 with the right size) or
  centimetres (``units="cm"``, common in other tools). ``Frame Time`` is ``1 / fps``.
- BVH holds a skeleton and joint rotations only: expressions, betas, gender and contacts are
  not written. Reading gives a Motion with 0 expression coefficients and no betas.

What talkrig reads
------------------
Any BVH whose joints are the 55 SMPL-X joints by name (in any hierarchy order) with the SMPL-X
parents, any of the six rotation orders per joint, and position channels on the root
(position channels on other joints are ignored: SMPL-X joints only rotate). Units are taken
from ``units`` or, with ``"auto"``, guessed from the rest skeleton's size (a body under 10 units
across is in metres, under 1000 in centimetres, else millimetres). A BVH of another humanoid
skeleton (CMU's, Mixamo's, a rig's Blender exported, one named with SMPL-X's words and bones of
its own) is read through the retargeting's way back (:mod:`.bvh_rig`). Anything else raises
MotionFileError naming the file and the problem.
"""

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .container import Motion
from .errors import MotionFileError, MotionValueError
from .rotations import (
    axis_angle_to_matrix,
    elementary_rotation,
    euler_continuity,
    matrix_to_axis_angle,
    matrix_to_euler,
)
from .skeleton import JOINT_NAMES, NUM_JOINTS, PARENTS, Skeleton, neutral_skeleton

log = logging.getLogger(__name__)

ROTATION_ORDER = "ZYX"
UNIT_SCALE = {"m": 1.0, "cm": 100.0, "mm": 1000.0}  # file units per metre
_AXES = "XYZ"


@dataclass
class BvhData:
    """A parsed BVH file, in file order, before any SMPL-X interpretation.

    names : joint names in hierarchy (= channel) order
    parents : (J,) index of each joint's parent in that order, -1 for the root
    offsets : (J, 3) OFFSET of each joint, file units
    channels : per joint, the channel names as written (e.g. ["Zrotation", "Xrotation", ...])
    end_sites : {joint index: End Site OFFSET} for the joints that have one
    frame_time : seconds per frame
    values : (T, C) the MOTION section, C = total channel count
    """

    names: list = field(default_factory=list)
    parents: list = field(default_factory=list)
    offsets: list = field(default_factory=list)
    channels: list = field(default_factory=list)
    end_sites: dict = field(default_factory=dict)
    frame_time: float = 0.0
    values: np.ndarray = None


# --- writing ----------------------------------------------------------------------------------


def write_bvh(motion, path, skeleton=None, units="m"):
    """Write a Motion as a BVH file of the SMPL-X skeleton.

    skeleton : Skeleton for the OFFSETs (default: the built-in neutral one; pass
        ``inference.smplx_model.skeleton_from_smplx(...)`` for the exact skeleton of the motion's betas).
    units : "m" or "cm" (or "mm") for OFFSETs and root positions.
    """
    text = format_bvh(motion, skeleton=skeleton, units=units)
    try:
        Path(path).write_text(text, encoding="ascii")
    except OSError as exc:
        raise MotionFileError(path, f"cannot write: {exc.strerror or exc}") from None
    if motion.n_expressions or motion.betas.size:
        log.info("%s: BVH holds no expressions or body shape; %d expression coefficients and "
                 "%d betas were not written", path, motion.n_expressions, motion.betas.size)
    return Path(path)


def format_bvh(motion, skeleton=None, units="m"):
    """The BVH text for a Motion (see the module docstring for the layout)."""
    skeleton = skeleton or neutral_skeleton()
    scale = _unit_scale(units)
    if len(skeleton.parents) != NUM_JOINTS or not np.array_equal(skeleton.parents, PARENTS):
        raise MotionValueError("BVH export needs the 55-joint SMPL-X skeleton")
    order = _dfs_order(PARENTS)
    lines = ["HIERARCHY"]
    _format_joint(0, skeleton.offsets * scale, scale, lines, depth=0)
    lines += ["MOTION", f"Frames: {motion.n_frames}", f"Frame Time: {1.0 / motion.fps:.10f}"]

    local = axis_angle_to_matrix(motion.poses[:, order])  # (T, 55, 3, 3) in file order
    angles = np.degrees(euler_continuity(matrix_to_euler(local, ROTATION_ORDER), ROTATION_ORDER))
    root_position = (motion.trans.astype(np.float64) + skeleton.rest_positions[0]) * scale
    values = np.concatenate([root_position, angles.reshape(motion.n_frames, -1)], axis=1)
    lines.append(_format_rows(values, decimals=6))
    return "\n".join(lines) + "\n"


def _format_joint(j, offsets, scale, lines, depth):
    pad = "\t" * depth
    children = [c for c in range(NUM_JOINTS) if PARENTS[c] == j]
    rot = " ".join(f"{axis}rotation" for axis in ROTATION_ORDER)
    if j == 0:
        kind, channels = "ROOT", f"6 Xposition Yposition Zposition {rot}"
    else:
        kind, channels = "JOINT", f"3 {rot}"
    lines += [f"{pad}{kind} {JOINT_NAMES[j]}", f"{pad}{{", f"{pad}\tOFFSET {_vec(offsets[j])}",
              f"{pad}\tCHANNELS {channels}"]
    for c in children:
        _format_joint(c, offsets, scale, lines, depth + 1)
    if not children:  # the End Site continues the bone by half its length (at least 5 mm)
        tip = offsets[j] * 0.5
        if np.linalg.norm(tip) < 0.005 * scale:
            tip = np.array([0.0, 0.0, 0.01 * scale])
        lines += [f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET {_vec(tip)}", f"{pad}\t}}"]
    lines.append(f"{pad}}}")


def _vec(v):
    return " ".join(f"{x:.6f}" for x in v)


def _format_rows(values, decimals):
    fmt = " ".join([f"%.{decimals}f"] * values.shape[1])
    return "\n".join(fmt % tuple(row) for row in values)


# --- reading ----------------------------------------------------------------------------------


def read_bvh(path, units="auto"):
    """Read a BVH of the SMPL-X skeleton into a Motion (no expressions, no betas)."""
    data = parse_bvh_file(path)
    return motion_from_bvh(data, path, units=units)


def read_bvh_skeleton(path, units="auto"):
    """The rest Skeleton (SMPL-X order, metres) stored in a BVH file's HIERARCHY."""
    data = parse_bvh_file(path)
    order = _smplx_order(data, path)
    scale = _detect_scale(data, path, units)
    offsets = np.asarray(data.offsets, dtype=np.float64)[order] / scale
    rest = np.zeros((NUM_JOINTS, 3))
    for j in range(NUM_JOINTS):
        rest[j] = offsets[j] + (rest[PARENTS[j]] if j else 0.0)
    return Skeleton(rest_positions=rest)


def parse_bvh_file(path):
    """Read a file and parse it with :func:`parse_bvh`, naming the file in every error."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="strict")
    except FileNotFoundError:
        raise MotionFileError(path, "no such file") from None
    except IsADirectoryError:
        raise MotionFileError(path, "is a folder, not a BVH file") from None
    except UnicodeDecodeError:
        raise MotionFileError(path, "not a BVH file (binary data, not text)") from None
    except OSError as exc:
        raise MotionFileError(path, f"cannot read: {exc.strerror or exc}") from None
    return parse_bvh(text, path)


def parse_bvh(text, label="<bvh>"):
    """Parse BVH text into :class:`BvhData`; malformed text raises MotionFileError."""

    def fail(problem, at=None):
        where = f"line {at + 1}: " if at is not None else ""
        raise MotionFileError(label, f"not a valid BVH file: {where}{problem}")

    lines = text.splitlines()
    data = BvhData()
    i = _parse_hierarchy(lines, data, fail)
    _parse_motion(lines, i, data, fail)
    return data


def _parse_hierarchy(lines, data, fail):
    """Fill names/parents/offsets/channels/end_sites; return the line index after MOTION."""
    stack = []  # indices of open JOINTs; None for an open End Site
    pending = None  # "joint" or "end": a block that must open with '{' next
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or lines[i].split()[0].upper() != "HIERARCHY":
        fail("it must start with 'HIERARCHY'", i if i < len(lines) else None)
    for i in range(i + 1, len(lines)):
        words = lines[i].split()
        if not words:
            continue
        opens = len(words) > 1 and words[-1] == "{"  # "JOINT name {" on one line
        if opens:
            words = words[:-1]
        key = words[0].upper()
        if pending and key != "{":
            fail(f"expected '{{' to open the block, got {words[0]!r}", i)
        if key in ("ROOT", "JOINT"):
            if key == "ROOT" and data.names:
                fail("a second ROOT: talkrig reads single-skeleton BVH files", i)
            if key == "JOINT" and (not stack or stack[-1] is None):
                fail("JOINT outside a joint", i)
            if len(words) < 2:
                fail(f"'{words[0]}' without a name", i)
            data.names.append(" ".join(words[1:]))
            data.parents.append(stack[-1] if stack else -1)
            data.offsets.append(None)
            data.channels.append([])
            pending = "joint"
        elif key == "END":
            if not stack or stack[-1] is None:
                fail("'End Site' outside a joint", i)
            pending = "end"
        elif key == "{":
            if pending is None:
                fail("unexpected '{'", i)
        elif key == "}":
            if not stack:
                fail("unmatched '}'", i)
            stack.pop()
        elif key == "OFFSET":
            if not stack:
                fail("OFFSET outside a joint", i)
            offset = _floats(words[1:], 3, lambda problem: fail(f"OFFSET {problem}", i))
            if stack[-1] is None:
                data.end_sites[len(data.names) - 1] = offset
            else:
                data.offsets[stack[-1]] = offset
        elif key == "CHANNELS":
            if not stack or stack[-1] is None:
                fail("CHANNELS outside a joint", i)
            data.channels[stack[-1]] = _channels(words[1:], lambda problem: fail(problem, i))
        elif key == "MOTION":
            if stack:
                fail("MOTION before the HIERARCHY is closed", i)
            break
        else:
            fail(f"unexpected '{words[0]}' in HIERARCHY", i)
        if pending and (opens or key == "{"):
            stack.append(len(data.names) - 1 if pending == "joint" else None)
            pending = None
    else:
        fail("no MOTION section (the file is truncated)")
    if not data.names:
        fail("HIERARCHY holds no joints")
    for j, offset in enumerate(data.offsets):
        if offset is None:
            fail(f"joint '{data.names[j]}' has no OFFSET")
    return i + 1


def _channels(words, fail):
    """['3', 'Zrotation', ...] -> ['Zrotation', ...], normalised to 'Xposition'/'Yrotation'."""
    try:
        count = int(words[0])
    except (IndexError, ValueError):
        fail("CHANNELS must give a count")
    names = words[1:]
    if len(names) != count or any(n[0].upper() not in _AXES
                                  or n[1:].lower() not in ("position", "rotation") for n in names):
        fail(f"bad CHANNELS list {' '.join(words)!r}")
    return [n[0].upper() + n[1:].lower() for n in names]


def _parse_motion(lines, i, data, fail):
    """Read 'Frames:', 'Frame Time:' and the (T, C) values from line i on."""
    n_frames, i = _header_value(lines, i, "Frames:", int, fail)
    data.frame_time, i = _header_value(lines, i, "Frame Time:", float, fail)
    if n_frames <= 0:
        fail("MOTION holds no frames ('Frames: 0')")
    if not np.isfinite(data.frame_time) or data.frame_time <= 0:
        fail(f"'Frame Time' must be positive, got {data.frame_time}")
    n_channels = sum(len(c) for c in data.channels)
    tokens = " ".join(lines[i:]).split()
    expected = n_frames * n_channels
    if len(tokens) < expected:
        fail(f"the file is truncated: 'Frames: {n_frames}' x {n_channels} channels needs "
             f"{expected} values, found {len(tokens)}")
    if len(tokens) > expected:
        fail(f"MOTION holds {len(tokens)} values, more than 'Frames: {n_frames}' x "
             f"{n_channels} channels = {expected}")
    try:
        values = np.array(tokens, dtype=np.float64)
    except ValueError:
        bad = next(k for k, t in enumerate(tokens) if not _is_float(t))
        fail(f"MOTION frame {bad // max(n_channels, 1) + 1} holds {tokens[bad]!r}, not a number")
    if not np.all(np.isfinite(values)):
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        fail(f"MOTION frame {bad // max(n_channels, 1) + 1} holds a NaN or infinite value")
    data.values = values.reshape(n_frames, n_channels)


def _header_value(lines, i, prefix, kind, fail):
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        fail(f"missing '{prefix}' after MOTION (the file is truncated)")
    line = lines[i].strip()
    if not line.lower().startswith(prefix.lower()):
        fail(f"expected '{prefix} ...', got {line[:40]!r}", i)
    try:
        return kind(line[len(prefix):].strip()), i + 1
    except ValueError:
        fail(f"'{prefix}' must be followed by a number, got {line[len(prefix):].strip()!r}", i)


def _floats(words, n, fail):
    if len(words) != n:
        fail(f"needs {n} numbers, got {len(words)}")
    try:
        values = [float(w) for w in words]
    except ValueError:
        fail(f"needs {n} numbers, got {' '.join(words)!r}")
    if not all(np.isfinite(values)):
        fail("holds a NaN or infinite value")
    return values


def _is_float(token):
    try:
        float(token)
        return True
    except ValueError:
        return False


def motion_from_bvh(data, label, units="auto"):
    """Interpret parsed BVH data as SMPL-X motion (see the module docstring); a file of another
    humanoid skeleton through the retargeting's way back (:mod:`.bvh_rig`)."""
    if set(data.names) != set(JOINT_NAMES):
        return _other_skeleton(data, label)
    order = _smplx_order(data, label)  # order[j] = file index of SMPL-X joint j
    scale = _detect_scale(data, label, units)
    n = data.values.shape[0]
    starts = np.cumsum([0] + [len(c) for c in data.channels])
    local = np.empty((n, NUM_JOINTS, 3, 3))
    trans = np.zeros((n, 3))
    for j in range(NUM_JOINTS):
        f = order[j]
        channels = data.channels[f]
        block = data.values[:, starts[f]:starts[f + 1]]
        rot = np.broadcast_to(np.eye(3), (n, 3, 3))
        for k, name in enumerate(channels):
            axis = _AXES.index(name[0])
            if name.endswith("rotation"):
                rot = rot @ elementary_rotation(axis, np.radians(block[:, k]))
            elif j == 0:
                trans[:, axis] = block[:, k] / scale
        local[:, j] = rot
        if j and any(c.endswith("position") for c in channels):
            log.warning("%s: joint '%s' has position channels; SMPL-X joints only rotate, "
                        "so they are ignored", label, data.names[f])
    root_positions = [c for c in data.channels[order[0]] if c.endswith("position")]
    if len(root_positions) != 3:
        raise MotionFileError(label, f"the root joint '{data.names[order[0]]}' needs "
                                     f"Xposition, Yposition and Zposition channels")
    trans -= np.asarray(data.offsets[order[0]]) / scale
    try:
        return Motion(
            poses=matrix_to_axis_angle(local).astype(np.float32),
            trans=trans.astype(np.float32),
            fps=_frame_rate(data.frame_time),
        )
    except MotionValueError as exc:
        raise MotionFileError(label, str(exc)) from None


def _frame_rate(frame_time):
    """1 / frame_time, snapped to 3 decimals when it is that within rounding (30, 29.97), and to
    a whole or NTSC rate when a frame time written to six places stands for it (Blender's
    0.033333: 30, not 30.0003)."""
    fps = 1.0 / frame_time
    snapped = round(fps, 3)
    if abs(fps - snapped) <= 1e-6 * fps:
        return snapped
    for rate in (round(fps), round(fps * 1.001) / 1.001):
        if rate > 0 and abs(1.0 / rate - frame_time) <= 5e-7:
            return round(rate, 3) if rate != round(rate) else float(rate)
    return fps


def _other_skeleton(data, label):
    """The motion of a BVH whose joints are not SMPL-X's 55, read as another humanoid's
    (:mod:`.bvh_rig`: a rig named with SMPL-X's words and helpers of its own, CMU's, Mixamo's);
    where it cannot be, and most of its names are SMPL-X's, the error says how it differs
    from SMPL-X's skeleton (a damaged SMPL-X file)."""
    from .bvh_rig import rig_motion_from_bvh

    try:
        return rig_motion_from_bvh(data, label, _frame_rate(data.frame_time))
    except MotionFileError:
        if len(set(data.names) & set(JOINT_NAMES)) >= len(data.names) / 2:
            _smplx_order(data, label)
        raise


def _smplx_order(data, label):
    """Map the file's joints onto SMPL-X order, or say how the skeleton differs."""
    names = data.names
    index = {name: k for k, name in enumerate(names)}
    missing = [n for n in JOINT_NAMES if n not in index]
    extra = [n for n in names if n not in JOINT_NAMES]
    if missing or extra or len(names) != NUM_JOINTS:
        parts = [f"its skeleton is not the SMPL-X {NUM_JOINTS}-joint skeleton: it has "
                 f"{len(names)} joints"]
        if missing:
            parts.append(f"missing {_few(missing)}")
        if extra:
            parts.append(f"unknown {_few(extra)}")
        if not missing and not extra:
            parts.append("some names repeat")
        raise MotionFileError(label, "; ".join(parts))
    order = np.array([index[n] for n in JOINT_NAMES])
    for j in range(NUM_JOINTS):
        parent = data.parents[order[j]]
        want = PARENTS[j]
        got = names[parent] if parent >= 0 else None
        if got != (JOINT_NAMES[want] if want >= 0 else None):
            raise MotionFileError(
                label, f"its skeleton is not the SMPL-X skeleton: joint '{JOINT_NAMES[j]}' hangs "
                       f"under '{got or '(nothing: it is the root)'}', expected under "
                       f"'{JOINT_NAMES[want] if want >= 0 else '(nothing: the root)'}'")
    return order


def _few(names, k=4):
    shown = ", ".join(f"'{n}'" for n in names[:k])
    return shown + (f" and {len(names) - k} more" if len(names) > k else "")


def _unit_scale(units):
    if units not in UNIT_SCALE:
        raise MotionValueError(f"BVH units must be one of {', '.join(UNIT_SCALE)}, got {units!r}")
    return UNIT_SCALE[units]


def _detect_scale(data, label, units):
    """File units per metre: from ``units``, or guessed from the rest skeleton's size."""
    if units != "auto":
        try:
            return _unit_scale(units)
        except MotionValueError as exc:
            raise MotionFileError(label, str(exc)) from None
    offsets = np.asarray(data.offsets, dtype=np.float64)
    rest = np.zeros_like(offsets)
    for k, parent in enumerate(data.parents):
        rest[k] = offsets[k] + (rest[parent] if parent >= 0 else 0.0)
    size = float(np.max(np.ptp(rest, axis=0)))
    if size <= 0:
        raise MotionFileError(label, "all joint OFFSETs are zero; cannot tell the units")
    if size < 10:
        return UNIT_SCALE["m"]
    if size < 1000:
        return UNIT_SCALE["cm"]
    return UNIT_SCALE["mm"]


def _dfs_order(parents):
    """SMPL-X joint indices in BVH hierarchy order (depth first, children by index)."""
    order, stack = [], [0]
    while stack:
        j = stack.pop()
        order.append(j)
        stack.extend(sorted((c for c in range(len(parents)) if parents[c] == j), reverse=True))
    return np.array(order)
