"""The Motion container: the one in-memory form of everything that moves in talkrig."""

from dataclasses import dataclass, field, fields

import numpy as np

from .errors import MotionValueError
from .skeleton import NUM_JOINTS

DEFAULT_EXPRESSIONS = 100  # BEAT2 stores 100 FLAME-style coefficients
DEFAULT_BETAS = 300  # BEAT2's smplx2020 shape vector


@dataclass
class Motion:
    """SMPL-X motion at a fixed frame rate.

    Attributes
    ----------
    poses : (T, 55, 3) float32
        Axis-angle per SMPL-X joint in SMPL-X order (0 pelvis/global orient ... 21 right wrist,
        22 jaw, 23/24 eyes, 25-39 left hand, 40-54 right hand).
    trans : (T, 3) float32
        Root translation in metres, SMPL-X/BEAT2 axes (y up).
    expressions : (T, E) float32
        Expression coefficients (E = 100 in BEAT2, 10 in plain SMPL-X, may be 0).
    betas : (B,) float32
        Body shape coefficients.
    fps : float
        Frames per second, > 0.
    gender : str
        "neutral", "male" or "female".
    contacts : (T, C) float32 or None
        Optional per-frame contact labels (e.g. feet).
    face_curves : (T, K) float32
        Named face curves (ARKit blend shapes, visemes; see motion.facecurves), K may be 0.
    face_names : tuple of K str
        The name of each column of ``face_curves``.
    """

    poses: np.ndarray
    trans: np.ndarray
    expressions: np.ndarray = None
    betas: np.ndarray = None
    fps: float = 30.0
    gender: str = "neutral"
    contacts: np.ndarray = field(default=None)
    face_curves: np.ndarray = None
    face_names: tuple = ()

    def __post_init__(self):
        self.poses = _numbers("poses", self.poses)
        if self.poses.ndim == 2 and self.poses.shape[1] == NUM_JOINTS * 3:
            self.poses = self.poses.reshape(-1, NUM_JOINTS, 3)
        n = self.poses.shape[0] if self.poses.ndim >= 1 else 0
        if self.expressions is None:
            self.expressions = np.zeros((n, 0), np.float32)
        if self.betas is None:
            self.betas = np.zeros(0, np.float32)
        self.trans = _numbers("trans", self.trans)
        self.expressions = _numbers("expressions", self.expressions)
        self.betas = _numbers("betas", self.betas).reshape(-1)
        if self.contacts is not None:
            self.contacts = np.asarray(self.contacts, dtype=np.float32)
        self.face_names = tuple(str(name) for name in self.face_names)
        if self.face_curves is None:
            self.face_curves = np.zeros((n, len(self.face_names)), np.float32)
        self.face_curves = _numbers("face_curves", self.face_curves)
        self.fps = float(self.fps)
        self.gender = str(self.gender)
        self.validate()

    def validate(self):
        """Raise MotionValueError naming the first field that is wrong."""
        if self.poses.ndim != 3 or self.poses.shape[1:] != (NUM_JOINTS, 3):
            raise MotionValueError(
                f"poses must have shape (T, {NUM_JOINTS}, 3), got {self.poses.shape}"
            )
        n = self.poses.shape[0]
        if self.trans.shape != (n, 3):
            raise MotionValueError(f"trans must have shape ({n}, 3), got {self.trans.shape}")
        if self.expressions.ndim != 2 or self.expressions.shape[0] != n:
            raise MotionValueError(
                f"expressions must have shape ({n}, E), got {self.expressions.shape}"
            )
        if self.contacts is not None and self.contacts.shape[0] != n:
            raise MotionValueError(
                f"contacts must have {n} frames, got shape {self.contacts.shape}"
            )
        if self.face_curves.shape != (n, len(self.face_names)):
            raise MotionValueError(
                f"face_curves must have shape ({n}, {len(self.face_names)}) for "
                f"{len(self.face_names)} face_names, got {self.face_curves.shape}"
            )
        if len(set(self.face_names)) != len(self.face_names):
            raise MotionValueError("face_names holds the same name twice")
        if not np.isfinite(self.fps) or not MIN_FPS <= self.fps <= MAX_RECORDED_FPS:
            raise MotionValueError(f"fps must be a frame rate from {MIN_FPS:g} to "
                                   f"{MAX_RECORDED_FPS:g}, got {self.fps:g}")
        for name, (limit, unit) in VALUE_LIMITS.items():
            values = getattr(self, name)
            if _within(values, limit):
                continue
            if not np.all(np.isfinite(values)):
                bad = np.argwhere(~np.isfinite(values))[0]
                raise MotionValueError(f"{name} holds a NaN or infinite value at index {tuple(bad)}")
            if values.size and np.abs(values).max() > limit:
                bad = np.argwhere(np.abs(values) > limit)[0]
                raise MotionValueError(f"{name} holds {values[tuple(bad)]:g} at index {tuple(bad)}, "
                                       f"beyond any motion (at most {limit:g} {unit})")

    @property
    def n_frames(self):
        return self.poses.shape[0]

    def __len__(self):
        return self.n_frames

    @property
    def duration(self):
        """Length in seconds: n_frames / fps."""
        return self.n_frames / self.fps

    @property
    def n_expressions(self):
        return self.expressions.shape[1]

    @property
    def has_face(self):
        """True when the motion carries face curves."""
        return len(self.face_names) > 0

    def face_curve(self, name):
        """(T,) values of the face curve ``name``, or None when the motion has no such curve."""
        if name not in self.face_names:
            return None
        return self.face_curves[:, self.face_names.index(name)]

    def __getitem__(self, index):
        """Frames selected by a slice, an index array or a boolean mask, as a new Motion; one
        frame by its number (IndexError past the take's ends, as a sequence's)."""
        if isinstance(index, (int, np.integer)):
            if not -self.n_frames <= index < self.n_frames:
                raise IndexError(f"frame {index} of a take of {self.n_frames} frames")
            index = slice(index, index + 1 if index != -1 else None)
        return Motion(
            poses=self.poses[index],
            trans=self.trans[index],
            expressions=self.expressions[index],
            betas=self.betas,
            fps=self.fps,
            gender=self.gender,
            contacts=None if self.contacts is None else self.contacts[index],
            face_curves=self.face_curves[index],
            face_names=self.face_names,
        )

    def replaced(self, **arrays):
        """A new Motion with ``arrays`` (new arrays of its own, e.g. ``poses=``) in place of
        this one's and copies of the rest: a stage that works out new poses does not copy the
        old ones first (a minute's poses, expressions and face curves are 2.4 MB a copy)."""
        kept = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in arrays}
        return Motion(**{name: value.copy() if isinstance(value, np.ndarray) else value
                         for name, value in kept.items()}, **arrays)

    def copy(self):
        """A new Motion that shares no array with this one."""
        return self.replaced()

    @classmethod
    def concatenate(cls, motions):
        """Join motions end to end; they must share fps and expression count (face curves are
        kept when every motion has the same ones)."""
        motions = list(motions)
        if not motions:
            raise MotionValueError("cannot concatenate an empty list of motions")
        first = motions[0]
        for m in motions[1:]:
            if m.fps != first.fps:
                raise MotionValueError(f"cannot join motions at {first.fps} and {m.fps} fps")
            if m.n_expressions != first.n_expressions:
                raise MotionValueError(
                    f"cannot join motions with {first.n_expressions} and "
                    f"{m.n_expressions} expression coefficients"
                )
        has_contacts = all(m.contacts is not None for m in motions)
        same_face = all(m.face_names == first.face_names for m in motions)
        return cls(
            poses=np.concatenate([m.poses for m in motions]),
            trans=np.concatenate([m.trans for m in motions]),
            expressions=np.concatenate([m.expressions for m in motions]),
            betas=first.betas,
            fps=first.fps,
            gender=first.gender,
            contacts=np.concatenate([m.contacts for m in motions]) if has_contacts else None,
            face_curves=np.concatenate([m.face_curves for m in motions]) if same_face else None,
            face_names=first.face_names if same_face else (),
        )

    @classmethod
    def rest(cls, n_frames, fps=30.0, n_expressions=DEFAULT_EXPRESSIONS, n_betas=DEFAULT_BETAS):
        """A motionless rest pose (all rotations zero) of n_frames frames."""
        return cls(
            poses=np.zeros((n_frames, NUM_JOINTS, 3), np.float32),
            trans=np.zeros((n_frames, 3), np.float32),
            expressions=np.zeros((n_frames, n_expressions), np.float32),
            betas=np.zeros(n_betas, np.float32),
            fps=fps,
        )

    # SMPL-X named parts, spelled as the smplx package spells them.
    @property
    def global_orient(self):
        return self.poses[:, 0]

    @property
    def body_pose(self):
        return self.poses[:, 1:22]

    @property
    def jaw_pose(self):
        return self.poses[:, 22]

    @property
    def leye_pose(self):
        return self.poses[:, 23]

    @property
    def reye_pose(self):
        return self.poses[:, 24]

    @property
    def left_hand_pose(self):
        return self.poses[:, 25:40]

    @property
    def right_hand_pose(self):
        return self.poses[:, 40:55]


def _within(values, limit):
    """True when every value is finite and at most ``limit`` in size: two reductions, no
    temporary arrays (a NaN carries through max and min), where the checks that name the bad
    value take four passes; every Motion made or copied is checked."""
    if not values.size:
        return True
    high, low = float(values.max()), float(values.min())
    return -limit <= low and high <= limit  # False for NaN; inf is beyond any limit


def _numbers(name, values):
    """``values`` as float32; MotionValueError unless they are real numbers (not text, true/false
    or complex). Values too large for float32 become inf, which validate() reports."""
    try:
        array = np.asarray(values)
    except ValueError:  # ragged nested lists
        raise MotionValueError(f"{name} must be an array of numbers") from None
    if array.dtype.kind not in "iuf":
        raise MotionValueError(f"{name} must hold numbers, got {array.dtype} values")
    with np.errstate(over="ignore"):
        return array.astype(np.float32, copy=False)


MAX_FPS = 240.0  # frames per second: any rate a person can ask for
MIN_FPS = 0.01  # and the slowest (a rate such as 1e-300 makes every duration overflow)
MAX_RECORDED_FPS = 1000.0  # a file keeps the rate it was captured at: high-speed mocap, no more
# Values no motion holds (each field's largest magnitude): far past them a file is damaged, and
# 1e38 metres become infinite in any later sum or unit change.
VALUE_LIMITS = {"poses": (1e3, "radians"), "trans": (1e5, "metres"),
                "expressions": (1e3, "units"), "betas": (1e3, "units"),
                "face_curves": (1e3, "units")}


def motion_of(value):
    """The Motion ``value`` holds when it is a take's result (``generate()``'s, with a
    ``.motion``), else ``value`` itself: where a Motion is taken, such a result stands for it."""
    held = getattr(value, "motion", None)
    return held if isinstance(held, Motion) else value


def frame_count(duration, fps):
    """Number of motion frames for ``duration`` seconds at ``fps``: round(duration * fps), >= 1.

    Every stage (audio features, generators, resampling) uses this one rule, so features and
    motion for the same audio always have the same length.
    """
    return max(1, int(round(float(duration) * float(fps))))


def check_fps(fps, what="fps"):
    """``fps`` as a float: a finite frame rate from MIN_FPS (0.01) to MAX_FPS (240).

    The one rule for every frame rate a person asks for: command flags, the server's options,
    the pipeline and resampling. (A file read from disk keeps the rate it was recorded at.)
    what : how the value is named in the message ("--fps", "option 'fps'").
    """
    number = isinstance(fps, (int, float, np.integer, np.floating)) and not isinstance(fps, bool)
    value = float(fps) if number else float("nan")  # "30" or True is not a frame rate
    if not np.isfinite(value) or not MIN_FPS <= value <= MAX_FPS:
        raise MotionValueError(f"{what} must be a frame rate from {MIN_FPS:g} to {MAX_FPS:g}, "
                               f"got {fps!r}")
    return value
