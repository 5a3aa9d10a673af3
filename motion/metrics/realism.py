"""Can a machine tell this motion from the real person's? A classifier two-sample test (C2ST).

The kinetic and posture figures compare one statistic at a time; a motion can match every one
and still be told from the speaker's at a glance. This test asks a classifier instead: both
takes are cut into 2 s windows (hop 0.5 s), each window becomes one vector of what a viewer
sees (the body's local joint rotations as 6-D, mean and spread; every joint's angular speed
and acceleration, mean and spread; the arms' and trunk's speed energy in four frequency bands;
how the two wrists' speeds go together; whether each wrist's speed rises as it falls, the one
feature that changes when time runs backwards; the root's horizontal and vertical speed), and
a regularised logistic regression and small gradient-boosted trees learn real against
generated. The score is the cross-validated ROC AUC, the larger of the two:

- 0.5: the classifier cannot tell them apart (the real take's two halves score about that;
  below 0.5 is noise of the cross-validation, not "more real than real").
- 1.0: every window is caught (a statue in the speaker's mean pose).

Why low-pass: every take, real and generated alike, is low-passed over time first (a Gaussian
of LOWPASS_FRAMES = 1.5 frames at 30 fps, on quaternions: axis-angle cannot be averaged), so
what a viewer cannot see (mocap noise, 0.1 degree of jitter) is not what gives a take away.
For the same reason statistics below what can be seen (a spread under 0.1 degree, a speed
under 1 degree/s: the VISIBLE_* floors) are raised to the floor: a still finger is still.

Why block-grouped cross-validation: windows overlap by 1.5 s, so a window and its neighbour
are nearly the same vector; a classifier tested on the neighbour of a window it learned from
would score the take's own sameness, not realism. Each take is cut into whole 8 s blocks, a
window belongs to the block it lies in (windows across a block edge are left out) and whole
blocks are held out together (sklearn's StratifiedGroupKFold: grouped like GroupKFold, with
both sides in every training fold). Where both sides have the same windows (a post-processing
stage applied to the real take; any take of the same length) the test is paired: block k of
both is held out together, so the classifier never learns a processed window's own twin
(sklearn's GroupKFold on the shared blocks).

The test reads motion only: real motion on the wrong audio is real motion, and scores as the
floor does (the calibration row says so). Per body part (``PARTS``) the classifiers see only
that part's features; every feature also gets its own AUC (max(auc, 1 - auc), no training) so
a report can name what gives a take away, with both sides' mean values.

Feature names: "JOINT rot6d a.b mean|std" is component b (x, y, z) of the joint's own a axis
(x or y: a column of its local rotation matrix) in its parent's frame, e.g. a knee's "rot6d
y.z" is the sine of its flexion; "JOINT angular speed|acceleration mean|std" in rad/s, rad/s^2;
"GROUP speed energy LO-HI Hz" log10 of the joints' angular-velocity power in that band;
"wrists speed correlation" Pearson r of the two wrists' speeds; "SIDE_wrist speed rise/fall
skew" the skewness of its speed's changes; "root horizontal|vertical speed mean|std" m/s.

    c2st(real, generated)      -> Realism: .score, .parts, .giveaways, .metrics()
    calibration(real)          -> {row: Realism}: floor, wrong audio, statue, time-reversed, ...
    window_features(motion)    -> WindowFeatures: values (W, F), names, parts, blocks
"""

from dataclasses import dataclass

import numpy as np

from ..errors import MotionValueError
from ..skeleton import HANDS, JOINT_INDEX as J, JOINT_NAMES, WRISTS
from .report import MetricInfo

FEATURE_FPS = 30.0  # every take is read at this rate (resampled first when it is not)
LOWPASS_FRAMES = 1.5  # Gaussian sigma, frames at FEATURE_FPS
WINDOW_SECONDS = 2.0
HOP_SECONDS = 0.5
BLOCK_SECONDS = 8.0  # cross-validation holds out whole blocks of this length
BANDS = ((0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 8.0))  # Hz, speed energy bands
FOLDS = 5
SEED = 0
TOP = 5  # giveaway features named in a report
LOGISTIC_C = 0.3  # inverse L2 strength: strong, for some 850 features on tens of windows
# What a viewer cannot see is read as the same: statistics below these floors are raised to
# them (a still finger's spread of 1e-5 rad and one of 1e-3 rad look alike, yet a classifier
# ranks them apart; 0.1 degree of jitter scores 0.75 paired without the floors, 0.53 with them).
VISIBLE_SPREAD = 0.002  # rad (0.1 degree): a 6-D rotation component's spread over a window
VISIBLE_SPEED = 0.02  # rad/s (1 degree/s): a joint's angular speed, mean and spread
VISIBLE_ACCELERATION = 0.3  # rad/s^2
VISIBLE_ROOT_SPEED = 0.002  # m/s
VISIBLE_WRIST_SPEED = 0.005  # m/s: wrists slower than this have no correlation or skew to read

_ARMS = tuple(J[f"{s}_{j}"] for j in ("collar", "shoulder", "elbow", "wrist") for s in ("left", "right"))
_TRUNK = (J["pelvis"], J["spine1"], J["spine2"], J["spine3"], J["neck"], J["head"])
_LEGS = tuple(J[f"{s}_{j}"] for j in ("hip", "knee", "ankle", "foot") for s in ("left", "right"))
# Joints read (jaw and eyes are the face's, not the body's) and the part each belongs to.
JOINTS = np.array(sorted(_ARMS + _TRUNK + _LEGS + tuple(int(h) for h in HANDS)))
PARTS = ("arms", "trunk and head", "legs and feet", "hands")
JOINT_PART = {**{j: "arms" for j in _ARMS}, **{j: "trunk and head" for j in _TRUNK},
              **{j: "legs and feet" for j in _LEGS}, **{int(h): "hands" for h in HANDS}}
# Joint groups whose speed energy is measured per frequency band.
ENERGY_GROUPS = {"left arm": [J[f"left_{j}"] for j in ("collar", "shoulder", "elbow", "wrist")],
                 "right arm": [J[f"right_{j}"] for j in ("collar", "shoulder", "elbow", "wrist")],
                 "trunk": list(_TRUNK)}
ENERGY_PART = {"left arm": "arms", "right arm": "arms", "trunk": "trunk and head"}
# Keys of a report (``Realism.metrics``) and how to read them.
PART_KEYS = {"arms": "arms", "trunk and head": "trunk", "legs and feet": "legs", "hands": "hands"}
REALISM_METRICS = {
    "realism_auc": MetricInfo("realism C2ST AUC, whole body (0.5 = real)", "AUC", "lower", "reference"),
    **{f"realism_auc_{key}": MetricInfo(f"realism C2ST AUC, {part}", "AUC", "lower", "reference")
       for part, key in PART_KEYS.items()},
}


@dataclass(frozen=True)
class WindowFeatures:
    """The windows of one or more takes: values (W, F); names and parts (F,) of the features;
    blocks (W,) the 8 s block each window lies in (distinct across the takes); takes and starts
    (W,) which take each window comes from and its first frame (at FEATURE_FPS)."""

    values: np.ndarray
    names: tuple
    parts: tuple
    blocks: np.ndarray
    takes: np.ndarray = None
    starts: np.ndarray = None

    @classmethod
    def join(cls, items):
        """The windows of several takes as one set (block numbers kept apart per take)."""
        items = list(items)
        blocks, offset = [], 0
        for item in items:
            blocks.append(item.blocks + offset)
            offset += int(item.blocks.max()) + 1 if len(item.blocks) else 0
        return cls(np.concatenate([i.values for i in items]), items[0].names, items[0].parts,
                   np.concatenate(blocks), np.concatenate([np.full(len(i.values), k) for k, i in enumerate(items)]),
                   np.concatenate([i.starts for i in items]))


@dataclass(frozen=True)
class Giveaway:
    """One feature that tells the two sides apart on its own: its AUC (>= 0.5) and both sides'
    mean value (units: radians, rad/s, rad/s^2, m/s, log10 energy, a correlation)."""

    name: str
    part: str
    auc: float
    real: float
    generated: float

    def __str__(self):
        return f"{self.name} ({self.part}): AUC {self.auc:.2f}, real {self.real:.3g}, generated {self.generated:.3g}"


@dataclass(frozen=True)
class Realism:
    """One test's result. score, logistic, trees: whole-body AUCs (score the larger);
    parts: {part: {"score", "logistic", "trees"}}; giveaways: the TOP single features."""

    score: float
    logistic: float
    trees: float
    parts: dict
    giveaways: tuple
    real_windows: int
    generated_windows: int
    window_scores: tuple = ()  # the generated side's windows: how sure the classifier is (0-1)

    def metrics(self):
        """{key of REALISM_METRICS: AUC}: the whole body and each part."""
        out = {"realism_auc": self.score}
        out.update({f"realism_auc_{PART_KEYS[p]}": s["score"] for p, s in self.parts.items()})
        return out

    def to_dict(self):
        return {"score": self.score, "logistic": self.logistic, "trees": self.trees,
                "parts": self.parts, "giveaways": [vars(g) for g in self.giveaways],
                "real_windows": self.real_windows, "generated_windows": self.generated_windows}


# --- features ---------------------------------------------------------------------------------

def window_features(motion):
    """WindowFeatures of one take (a Motion of at least one 8 s block's window, 2 s)."""
    from ..resample import resample

    if motion.fps != FEATURE_FPS:
        motion = resample(motion, FEATURE_FPS)
    n, hop, block = (int(round(s * FEATURE_FPS)) for s in (WINDOW_SECONDS, HOP_SECONDS, BLOCK_SECONDS))
    starts = np.arange(0, motion.n_frames - n + 1, hop)
    ends = np.minimum((starts // block + 1) * block, motion.n_frames)
    starts = starts[starts + n <= ends]  # a window lies in one block
    if not len(starts):
        raise MotionValueError(f"the realism test needs at least {WINDOW_SECONDS:g} s of motion, "
                               f"got {motion.duration:.2f} s")
    smooth = lowpassed(motion)
    columns, names, parts = [], [], []
    for values, name, part in _feature_columns(smooth, starts, n):
        columns.append(values)
        names.append(name)
        parts.append(part)
    return WindowFeatures(np.stack(columns, axis=1), tuple(names), tuple(parts), starts // block,
                          np.zeros(len(starts), int), starts)


def lowpassed(motion, frames_sigma=LOWPASS_FRAMES):
    """A copy of ``motion`` low-passed over time (quaternions; root by the same Gaussian), its
    pelvis turned so the take faces +z on average (where the speaker faces is not realism)."""
    from ..filters import gaussian_filter1d

    from ..rotations import axis_angle_to_matrix, elementary_rotation, matrix_to_quat, quat_lowpass, \
        quat_to_axis_angle

    rot = axis_angle_to_matrix(motion.poses.astype(np.float64))
    forward = rot[:, 0, :, 2].mean(axis=0)
    rot[:, 0] = elementary_rotation(1, -np.arctan2(forward[0], forward[2])) @ rot[:, 0]
    out = motion.copy()
    out.poses = quat_to_axis_angle(quat_lowpass(matrix_to_quat(rot), frames_sigma)).astype(np.float32)
    out.trans = gaussian_filter1d(motion.trans.astype(np.float64), frames_sigma, axis=0,
                                  mode="nearest").astype(np.float32)
    return out


def _windows(values, starts, n):
    """(W, n, ...) the windows of (T, ...) values starting at ``starts``, n frames each."""
    view = np.lib.stride_tricks.sliding_window_view(values, n, axis=0)  # (T-n+1, ..., n)
    return np.moveaxis(view[starts], -1, 1)


def _feature_columns(motion, starts, n):
    """(values (W,), name, part) of every feature of the (low-passed) motion's windows."""
    from ..rotations import axis_angle_to_matrix, matrix_to_6d

    poses = motion.poses.astype(np.float64)[:, JOINTS]
    names = [JOINT_NAMES[j] for j in JOINTS]
    parts = [JOINT_PART[int(j)] for j in JOINTS]
    six = _windows(matrix_to_6d(axis_angle_to_matrix(poses)), starts, n)  # (W, n, J, 6)
    for stat, values in (("mean", six.mean(axis=1)), ("std", np.maximum(six.std(axis=1), VISIBLE_SPREAD))):
        for k, (name, part) in enumerate(zip(names, parts)):
            for c in range(6):
                yield values[:, k, c], f"{name} rot6d {'xy'[c // 3]}.{'xyz'[c % 3]} {stat}", part
    omega = angular_velocity(poses, FEATURE_FPS)  # (T-1, J, 3)
    speed = _windows(np.linalg.norm(omega, axis=-1), starts, n - 1)
    accel = _windows(np.linalg.norm(np.diff(omega, axis=0), axis=-1) * FEATURE_FPS, starts, n - 2)
    for what, values, floor in (("angular speed", speed, VISIBLE_SPEED),
                                ("angular acceleration", accel, VISIBLE_ACCELERATION)):
        for stat, reduce in (("mean", np.mean), ("std", np.std)):
            stats = np.maximum(reduce(values, axis=1), floor)
            for k, (name, part) in enumerate(zip(names, parts)):
                yield stats[:, k], f"{name} {what} {stat}", part
    slot = {int(j): k for k, j in enumerate(JOINTS)}
    for group, joints in ENERGY_GROUPS.items():
        energy = band_energy(_windows(omega[:, [slot[j] for j in joints]], starts, n - 1))
        for b, (lo, hi) in enumerate(BANDS):
            yield energy[:, b], f"{group} speed energy {lo:g}-{hi:g} Hz", ENERGY_PART[group]
    yield from _wrist_columns(motion, starts, n)
    yield from _root_columns(motion, starts, n)


def angular_velocity(poses, fps):
    """(T-1, J, 3) each joint's angular velocity in its own frame, rad/s, from (T, J, 3)
    axis-angle poses (its norm is ``kinematics.angular_speed``)."""
    from ..rotations import axis_angle_to_quat, quat_conjugate, quat_multiply, quat_to_axis_angle

    q = axis_angle_to_quat(poses)
    return quat_to_axis_angle(quat_multiply(quat_conjugate(q[:-1]), q[1:])) * float(fps)


def band_energy(omega):
    """(W, len(BANDS)) log10 of the windows' angular-velocity energy (W, n, J, 3) per band."""
    n = omega.shape[1]
    taper = np.hanning(n)[None, :, None, None]
    power = np.abs(np.fft.rfft((omega - omega.mean(axis=1, keepdims=True)) * taper, axis=1)) ** 2
    freqs = np.fft.rfftfreq(n, 1.0 / FEATURE_FPS)
    power = power.sum(axis=(2, 3)) / n
    return np.stack([np.log10(power[:, (freqs >= lo) & (freqs < hi)].sum(axis=1) + 1e-6)
                     for lo, hi in BANDS], axis=1)


def _wrist_columns(motion, starts, n):
    """The two wrists' speed correlation, and each wrist's rise/fall skew (time's arrow)."""
    from .kinematics import joint_positions, joint_speed

    speed = _windows(joint_speed(joint_positions(motion, WRISTS), FEATURE_FPS), starts, n - 1)  # (W, n-1, 2)
    centred = speed - speed.mean(axis=1, keepdims=True)
    spread = np.sqrt((centred ** 2).sum(axis=1))
    together = (centred[..., 0] * centred[..., 1]).sum(axis=1) / np.maximum(spread[:, 0] * spread[:, 1], 1e-12)
    moving = spread / np.sqrt(speed.shape[1]) > VISIBLE_WRIST_SPEED  # (W, 2)
    yield np.where(moving.all(axis=1), together, 0.0), "wrists speed correlation", "arms"
    change = np.diff(speed, axis=1)
    centred = change - change.mean(axis=1, keepdims=True)
    skew = (centred ** 3).mean(axis=1) / np.maximum((centred ** 2).mean(axis=1) ** 1.5, 1e-12)
    for k, side in enumerate(("left", "right")):
        yield np.where(moving[:, k], skew[:, k], 0.0), f"{side}_wrist speed rise/fall skew", "arms"


def _root_columns(motion, starts, n):
    """The root's horizontal and vertical speed, mean and spread, m/s."""
    velocity = np.diff(motion.trans.astype(np.float64), axis=0) * FEATURE_FPS
    for what, values in (("horizontal", np.linalg.norm(velocity[:, [0, 2]], axis=-1)),
                         ("vertical", np.abs(velocity[:, 1]))):
        w = _windows(values, starts, n - 1)
        yield np.maximum(w.mean(axis=1), VISIBLE_ROOT_SPEED), f"root {what} speed mean", "legs and feet"
        yield np.maximum(w.std(axis=1), VISIBLE_ROOT_SPEED), f"root {what} speed std", "legs and feet"


def feature_set(takes):
    """WindowFeatures of a Motion, a list of Motions (takes; windows never cross from one to
    the next) or WindowFeatures already made."""
    if isinstance(takes, WindowFeatures):
        return takes
    if isinstance(takes, (list, tuple)):
        return WindowFeatures.join(feature_set(t) for t in takes)
    return window_features(takes)


# --- the test ---------------------------------------------------------------------------------

def c2st(real, generated, paired=None, top=TOP, seed=SEED, folds=FOLDS, parts=PARTS, groups=None):
    """Realism of ``generated`` against ``real`` (each a Motion, a list of takes or
    WindowFeatures): cross-validated AUC of both classifiers, whole body and per part, and the
    ``top`` single features that separate them best.

    paired : both sides have the same windows (takes of the same lengths) and block k of both
        is held out together: right for a transform of ``real`` (a post-processing stage, an
        edited copy), whose window k is the twin of real window k (unpaired, a twin could sit in
        the training set with the other label and pull the AUC below 0.5); for unrelated takes
        of one length it is still a block-grouped test. None (the default): paired whenever the
        two sides' windows lie in the same blocks.
    parts : the parts scored on their own (each a classifier on that part's features only).
    groups : (W,) one label per generated window, held out together in place of its block:
        for takes that replay the same material (copies of one motion, a library played again),
        windows playing the same stretch share a label. Held out by block alone, a copy's twin
        sits in the training set and the classifier recognises it rather than judging it (the
        take's first half played as six takes scores 0.90 that way, 0.60 with its copies held
        out together, where the half itself scores 0.58).
    The side with more windows is weighted down, so the AUC does not lean to it. Raises
    MotionValueError when either side has fewer than two 8 s blocks (nothing to hold out).
    """
    a, b = feature_set(real), feature_set(generated)
    same = np.array_equal(a.blocks, b.blocks)
    if paired and not same:
        raise MotionValueError(f"a paired test needs the same windows, got {len(a.blocks)} and {len(b.blocks)}")
    paired = (same and groups is None) if paired is None else paired
    x = np.concatenate([a.values, b.values])
    y = np.r_[np.zeros(len(a.values)), np.ones(len(b.values))].astype(int)
    if groups is not None:
        if paired or len(groups) != len(b.values):
            raise MotionValueError(f"groups: one label per generated window ({len(b.values)}), unpaired")
        b_groups = np.unique(np.asarray(groups), return_inverse=True)[1]
    else:
        b_groups = b.blocks
    held = np.r_[a.blocks, a.blocks if paired else b_groups + a.blocks.max() + 1]
    splits = _splits(y, held, paired, folds)
    whole = _scores(x, y, splits, seed)
    scores = {part: _scores(x[:, np.array([p == part for p in a.parts])], y, splits, seed) for part in parts}
    for part in scores.values():
        part.pop("windows")
    return Realism(score=whole["score"], logistic=whole["logistic"], trees=whole["trees"], parts=scores,
                   giveaways=giveaways(a, b, top), real_windows=len(a.values), generated_windows=len(b.values),
                   window_scores=tuple(whole["windows"][len(a.values):]))


def telling_windows(result, generated):
    """[(take, start frame at FEATURE_FPS, score)] of the generated side's windows the
    classifier found most real and least real (lowest and highest score): ``result`` a c2st
    Realism, ``generated`` the same takes (or WindowFeatures) it was given. What to look at."""
    windows = feature_set(generated)
    order = np.argsort(result.window_scores)
    return [(int(windows.takes[k]), int(windows.starts[k]), float(result.window_scores[k]))
            for k in (order[0], order[-1])]


def _splits(y, groups, paired, folds):
    """[(train, test), ...]: whole blocks held out, both sides in every training set."""
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    fewest = min(len(np.unique(groups[y == side])) for side in (0, 1))
    if fewest < 2:
        raise MotionValueError(f"the realism test needs at least two {BLOCK_SECONDS:g} s blocks of "
                               f"motion on each side, got {fewest}")
    k = min(folds, fewest)
    method = GroupKFold(k) if paired else StratifiedGroupKFold(k)
    splits = list(method.split(np.zeros(len(y)), y, groups))
    if any(len(np.unique(y[train])) < 2 for train, _ in splits):
        raise MotionValueError("the realism test could not hold out blocks of both sides apart")
    return splits


def _classifiers(seed):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    """{name: (model, the fit() keyword of its sample weights, or None: fit on a balanced
    subsample; sklearn's trees bin weighted data by one weighted percentile per bin, minutes
    for a few hundred windows)}."""
    logistic = make_pipeline(StandardScaler(), LogisticRegression(C=LOGISTIC_C, max_iter=2000))
    trees = HistGradientBoostingClassifier(max_iter=30, max_depth=3, learning_rate=0.2, min_samples_leaf=5,
                                           l2_regularization=1.0, early_stopping=False, random_state=seed)
    return {"logistic": (logistic, "logisticregression__sample_weight"), "trees": (trees, None)}


def _scores(x, y, splits, seed):
    """{"logistic", "trees", "score"}: out-of-fold ROC AUC of each classifier, and the larger;
    "windows": that classifier's out-of-fold probability that each window is not real."""
    from sklearn.base import clone
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    out = {}
    for name, (model, weight_key) in _classifiers(seed).items():
        predicted = np.zeros(len(y))
        rng = np.random.default_rng(seed)
        for train, test in splits:
            fitted = clone(model)
            weights = {weight_key: _balance(y[train])} if weight_key else {}
            train = train if weight_key else _balanced(train, y, rng)
            with threadpool_limits(1):  # tiny fits: threads only wait on each other
                fitted.fit(x[train], y[train], **weights)
                predicted[test] = fitted.predict_proba(x[test])[:, 1]
        out[name] = float(roc_auc_score(y, predicted))
        if out[name] >= out.get("score", -1.0):
            out["score"], out["windows"] = out[name], predicted
    return out


def _balance(y):
    """Sample weights giving both sides the same total weight."""
    counts = np.bincount(y, minlength=2).astype(float)
    return (len(y) / (2.0 * counts))[y]


def _balanced(index, y, rng):
    """``index`` with the larger side's windows drawn down to the smaller side's count."""
    sides = [index[y[index] == side] for side in (0, 1)]
    n = min(len(s) for s in sides)
    return np.sort(np.concatenate([s if len(s) == n else rng.choice(s, n, replace=False) for s in sides]))


def feature_auc(real, generated):
    """(F,) each feature's own AUC, real 0 against generated 1 (Mann-Whitney; ties halved)."""
    from scipy.stats import rankdata

    x = np.concatenate([real, generated])
    ranks = rankdata(x, axis=0)
    n0, n1 = len(real), len(generated)
    return (ranks[n0:].sum(axis=0) - n1 * (n1 + 1) / 2.0) / (n0 * n1)


def giveaways(real, generated, top=TOP):
    """The ``top`` features that separate the two WindowFeatures best on their own."""
    auc = feature_auc(real.values, generated.values)
    apart = np.maximum(auc, 1.0 - auc)
    order = np.argsort(-apart, kind="stable")[:top]
    return tuple(Giveaway(real.names[i], real.parts[i], float(apart[i]), float(real.values[:, i].mean()),
                          float(generated.values[:, i].mean())) for i in order)


# --- calibration ------------------------------------------------------------------------------

def statue(motion, n_frames=None):
    """``motion``'s mean pose (each joint's chordal mean rotation, the mean root) held still."""
    from ..container import Motion
    from ..rotations import matrix_to_axis_angle
    from .posture import mean_rotations

    n = motion.n_frames if n_frames is None else int(n_frames)
    pose = matrix_to_axis_angle(mean_rotations(motion, np.arange(motion.poses.shape[1])))
    return Motion(poses=np.repeat(pose[None], n, axis=0), trans=np.repeat(motion.trans.mean(0, keepdims=True), n, 0),
                  betas=motion.betas, fps=motion.fps, gender=motion.gender)


def reversed_take(motion):
    """``motion`` played backwards."""
    return motion[np.arange(motion.n_frames)[::-1]]


def blurred(motion, frames=1.0):
    """``motion`` blurred by a Gaussian of ``frames`` frames (quaternions; root too)."""
    from ..filters import gaussian_filter1d

    from ..rotations import axis_angle_to_quat, quat_lowpass, quat_to_axis_angle

    out = motion.copy()
    out.poses = quat_to_axis_angle(quat_lowpass(axis_angle_to_quat(motion.poses), frames)).astype(np.float32)
    out.trans = gaussian_filter1d(motion.trans.astype(np.float64), frames, axis=0, mode="nearest").astype(np.float32)
    return out


def jittered(motion, degrees=0.1, seed=SEED):
    """``motion`` with every joint turned by ``degrees`` about a random axis, anew each frame."""
    from ..rotations import axis_angle_to_quat, quat_multiply, quat_to_axis_angle

    rng = np.random.default_rng(seed)
    axes = rng.normal(size=motion.poses.shape)
    axes /= np.linalg.norm(axes, axis=-1, keepdims=True)
    noise = axis_angle_to_quat(axes * np.radians(degrees))
    out = motion.copy()
    out.poses = quat_to_axis_angle(quat_multiply(axis_angle_to_quat(motion.poses), noise)).astype(np.float32)
    return out


CALIBRATION = {
    "floor": "the take's second half against its first (the floor)",
    "wrong audio": "real motion on the wrong audio: the second half re-timed (the same motion: "
                   "this test reads motion only)",
    "statue": "a statue in the take's mean pose",
    "reversed": "the second half played backwards",
    "blurred": "the second half blurred by one frame",
    "jitter": "the second half with 0.1 deg of random jitter per frame (invisible)",
}


def calibration(real, extra=True, top=TOP, seed=SEED):
    """{row: Realism} of the rows that say how to read a score, each the take's first half (real)
    against its second half as it is (the floor), re-timed (the wrong audio: the motion is the
    same, so a motion-only test scores it as the floor), replaced by a statue in the whole
    take's mean pose, played backwards, and with ``extra`` blurred by one frame and jittered by
    0.1 degree. Descriptions in CALIBRATION. The take needs at least 32 s (two 8 s blocks a half)."""
    half = real.n_frames // 2
    first, second = real[:half], real[half:]
    cut = second.n_frames // 2
    rows = {"floor": second, "wrong audio": [second[cut:], second[:cut]],
            "statue": statue(real, second.n_frames), "reversed": reversed_take(second)}
    if extra:
        rows.update({"blurred": blurred(second), "jitter": jittered(second, seed=seed)})
    base = feature_set(first)
    return {name: c2st(base, motion, top=top, seed=seed) for name, motion in rows.items()}


def realism_lines(result, title="realism"):
    """Text lines of one result: the whole-body and per-part AUCs, then the giveaways."""
    parts = ", ".join(f"{p} {s['score']:.2f}" for p, s in result.parts.items())
    lines = [f"{title}: AUC {result.score:.2f} (logistic {result.logistic:.2f}, trees {result.trees:.2f}; "
             f"0.5 = cannot tell, 1.0 = always caught); {parts}"]
    lines += [f"  gives it away: {g}" for g in result.giveaways]
    return lines
