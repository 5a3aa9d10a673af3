"""Key poses (Speech2Video §3.3): words that trigger a pose or a short clip in SMPL-X space.

A dictionary (JSON) maps words to a still pose or a short clip of some joints, with an insertion
probability and, for a still pose, a hold time::

    {"version": 1,
     "entries": [
       {"words": ["i", "me"], "probability": 0.5, "hold": 0.3,
        "pose": {"right_shoulder": [0.1, 0.2, 0.9], "right_elbow": [0.0, 2.0, 0.0]}},
       {"words": ["no"], "probability": 0.6,
        "clip": {"fps": 30, "frames": [{"head": [0, 0.2, 0]}, {"head": [0, -0.2, 0]}]}}
     ]}

Joint names are SMPL-X's (motion.skeleton.JOINT_NAMES), values axis-angle radians. A dictionary
may name its language, ``"language": "de"``, and then fires only on speech in that language:
the bundled English dictionary's "me" never fires in Spanish speech. One without a language
fires on any (the words are the user's own). Words match case-insensitively, directly or, in
English, through simple inflections ("bigger" -> "big", "points" -> "point"); other languages
list their inflected forms. talkrig ships dictionaries for English, German,
Spanish and French (the same poses). At each matching word (its start time) the pose is inserted with the
entry's probability (seeded): the listed joints turn toward it by slerp over ``ramp`` (0.6 s)
before the word, reach it at the word's start, hold it ``hold`` (0.3 s), and turn back over
``ramp``; a clip plays from the word's start, overwriting the same number of frames, with the
same ramps around it. An insertion whose word comes before the previous insertion has finished
its hold is skipped (the earlier one wins); overlapping ramps blend one pose into the next.
"""

import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...motion.keypose_file import KeyPoseError, entry_list, entry_words, read_json
from ..speech.languages import AUTO, ENGLISH, LanguageError, base
from ...motion.rotations import axis_angle_to_quat, quat_hemisphere, quat_slerp, quat_to_axis_angle
from ...motion.skeleton import JOINT_INDEX
from .postprocess import LIMITED

log = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).parent / "data" / "keyposes_default.json"
BUILTIN_PATHS = {"en": DEFAULT_PATH, **{lang: DEFAULT_PATH.with_name(f"keyposes_{lang}.json")
                                          for lang in ("de", "es", "fr")}}
RAMP = 0.6
HOLD = 0.3
MAX_CLIP_SECONDS = 10.0


@dataclass(frozen=True)
class KeyPose:
    """One dictionary entry.

    words : lower-case words (lemmas) that trigger it.
    joints : (J,) SMPL-X joint indices it sets.
    frames : (F, J, 3) axis-angle; F == 1 for a still pose.
    fps : frame rate of a clip.
    probability, hold, ramp : see the module docstring (seconds).
    """

    words: tuple
    joints: np.ndarray
    frames: np.ndarray
    fps: float = 30.0
    probability: float = 1.0
    hold: float = HOLD
    ramp: float = RAMP

    @property
    def is_clip(self):
        return self.frames.shape[0] > 1

    @property
    def duration(self):
        """Seconds the pose is fully on: the hold, or the clip's length."""
        return self.frames.shape[0] / self.fps if self.is_clip else self.hold


class KeyPoseDictionary:
    """Entries plus a word index; build with :meth:`load`, :meth:`from_dict` or :meth:`default`."""

    def __init__(self, entries, label="<dictionary>", language=None):
        self.entries = list(entries)
        self.label = label
        self.language = language
        self.index = {}
        for entry in self.entries:
            for word in entry.words:
                self.index.setdefault(word, entry)

    def __len__(self):
        return len(self.entries)

    def match(self, word):
        """The entry a spoken word triggers, or None."""
        forms = word_forms(word)
        for form in forms if self.language in (ENGLISH, None) else forms[:1]:
            entry = self.index.get(form)
            if entry is not None:
                return entry
        return None

    @classmethod
    def load(cls, path):
        path = Path(path).expanduser()
        return cls.from_dict(read_json(path), str(path))

    @classmethod
    def default(cls, language=ENGLISH):
        """The dictionary shipped with talkrig for ``language`` (common gesture words), or None
        when talkrig has none in that language."""
        path = BUILTIN_PATHS.get(base(language))
        return cls.load(path) if path is not None else None

    @classmethod
    def from_dict(cls, data, label="<dictionary>"):
        items = entry_list(data, label)
        language = data.get("language") if isinstance(data, dict) else None
        if language is not None:
            try:
                language = base(language) if isinstance(language, str) and language.strip() else AUTO
            except LanguageError:
                language = AUTO
            if language == AUTO:
                raise KeyPoseError(f"{label}: 'language' must be a language code such as \"en\" "
                                   f"or \"de\", got {data.get('language')!r}")
        return cls([_entry(item, f"{label}: entry {i + 1}") for i, item in enumerate(items)], label,
                   language)


def _entry(item, where):
    if not isinstance(item, dict):
        raise KeyPoseError(f"{where} must be an object")
    words = entry_words(item)
    if not words or not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise KeyPoseError(f"{where}: 'words' must be a non-empty list of words")
    probability = _number(item.get("probability", 1.0), where, "probability", 0.0, 1.0)
    hold = _number(item.get("hold", HOLD), where, "hold", 0.0, MAX_CLIP_SECONDS)
    ramp = _number(item.get("ramp", RAMP), where, "ramp", 0.0, 5.0)
    has_pose, has_clip = "pose" in item, "clip" in item
    if has_pose == has_clip:
        raise KeyPoseError(f"{where}: give exactly one of 'pose' (a still pose) or 'clip'")
    if has_pose:
        joints, frames = _frames([item["pose"]], f"{where} pose")
        fps = 30.0
    else:
        clip = item["clip"]
        if not isinstance(clip, dict) or not isinstance(clip.get("frames"), list) or not clip["frames"]:
            raise KeyPoseError(f"{where}: 'clip' must be an object with a non-empty 'frames' list")
        fps = _number(clip.get("fps", 30.0), where, "clip fps", 1.0, 240.0)
        joints, frames = _frames(clip["frames"], f"{where} clip")
        if len(frames) / fps > MAX_CLIP_SECONDS:
            raise KeyPoseError(f"{where}: clip is longer than {MAX_CLIP_SECONDS:g} s")
    return KeyPose(tuple(w.strip().lower() for w in words), joints, frames, fps, probability, hold, ramp)


def _number(value, where, name, lo, hi):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise KeyPoseError(f"{where}: '{name}' must be a number, got {value!r}") from None
    if not np.isfinite(value) or not lo <= value <= hi:
        raise KeyPoseError(f"{where}: '{name}' must be between {lo:g} and {hi:g}, got {value:g}")
    return value


def _frames(frames, where):
    """Joint indices (J,) and (F, J, 3) axis-angle from a list of {joint name: [x, y, z]}."""
    names = None
    values = []
    for k, frame in enumerate(frames):
        if not isinstance(frame, dict) or not frame:
            raise KeyPoseError(f"{where} frame {k + 1}: must map joint names to [x, y, z]")
        if names is None:
            names = list(frame)
            for name in names:
                if name not in JOINT_INDEX:
                    raise KeyPoseError(f"{where}: unknown joint '{name}' (SMPL-X names such as "
                                       f"right_shoulder, right_elbow, head)")
        elif set(frame) != set(names):
            raise KeyPoseError(f"{where} frame {k + 1}: every frame must set the same joints")
        row = []
        for name in names:
            v = frame[name]
            try:
                v = np.asarray(v, dtype=np.float64)
            except (TypeError, ValueError):
                v = np.zeros(0)
            if v.shape != (3,) or not np.all(np.isfinite(v)):
                raise KeyPoseError(f"{where}: joint '{name}' must be three finite numbers (axis-angle)")
            row.append(v)
        values.append(row)
    return np.array([JOINT_INDEX[n] for n in names]), np.array(values, dtype=np.float64)


def load_keyposes(spec, language=None):
    """A dictionary from "default", "none"/None (no key poses) or a path to a JSON file.

    language : the speech's language ("de"), or None for any. "default" is then talkrig's
    dictionary in that language, and a dictionary in another language gives no key poses
    (None, with a line saying why): its words must not fire on speech they are not in.
    """
    if spec is None or str(spec).strip().lower() in ("", "none", "off"):
        return None
    if str(spec).strip().lower() == "default":
        found = KeyPoseDictionary.default(language or ENGLISH)
        if found is None:
            log.info("talkrig has no key-pose dictionary in %r: no key poses (give one with "
                     "\"language\": %r)", language, language)
        return found
    return _in_language(KeyPoseDictionary.load(spec), language)


def load_keyposes_option(value, language=None):
    """A dictionary from a checked job option: a spec as :func:`load_keyposes` or an inline dict."""
    if isinstance(value, (dict, list)):
        return _in_language(KeyPoseDictionary.from_dict(value, "option 'keyposes'"), language)
    return load_keyposes(value, language)


def _in_language(dictionary, language):
    if language is None or dictionary.language in (None, base(language)):
        return dictionary
    log.warning("the key-pose dictionary %s is in %r and the speech in %r: no key poses",
                dictionary.label, dictionary.language, base(language))
    return None


def word_forms(word):
    """Lower-case forms to look up for a spoken word: itself, then simple lemma candidates."""
    w = "".join(ch for ch in str(word).lower().replace("’", "'") if ch.isalpha() or ch == "'")
    w = w.strip("'")
    if not w:
        return []
    forms = [w]
    if w.endswith("'s"):
        forms.append(w[:-2])
    for suffix, extra in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"),
                          ("ed", ""), ("ed", "e"), ("est", ""), ("er", ""), ("ly", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            stem = w[: -len(suffix)]
            forms.append(stem + extra)
            if not extra and len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                forms.append(stem[:-1])  # bigger -> bigg -> big, stopped -> stopp -> stop
    return list(dict.fromkeys(forms))


@dataclass(frozen=True)
class Insertion:
    """One key pose placed in the motion: the word, its start time and the entry."""

    word: str
    time: float
    entry: KeyPose


def plan_insertions(words, dictionary, seed, duration):
    """The insertions for ``words`` (list of Word): seeded probability, earlier one wins."""
    if dictionary is None or not words:
        return []
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, zlib.crc32(b"keyposes")]))
    chosen = []
    busy_until = -np.inf
    for w in sorted(words, key=lambda w: w.start):
        entry = dictionary.match(w.word)
        if entry is None:
            continue
        draw = rng.random()  # drawn for every match, so one change does not reshuffle the rest
        if draw >= entry.probability or w.start >= duration or w.start < busy_until:
            continue
        chosen.append(Insertion(w.word, float(w.start), entry))
        busy_until = w.start + entry.duration
    return chosen


def insert_keyposes(motion, words, dictionary, seed=0):
    """A copy of ``motion`` with the dictionary's key poses inserted; returns (motion, insertions)."""
    insertions = plan_insertions(words, dictionary, seed, motion.duration)
    out = motion.copy()
    if not insertions:
        return out, insertions
    out.poses = apply_insertions(out.poses, motion.fps, insertions)
    log.debug("inserted %d key poses", len(insertions))
    return out, insertions


def apply_insertions(poses, fps, insertions, first=0):
    """(T, 55, 3) float32: ``poses`` with ``insertions`` blended in; poses[0] is frame ``first``
    of the take (a live stream applies them to each run of frames it hands out)."""
    out = poses.astype(np.float64)
    for ins in insertions:
        _apply(out, fps, ins, first)
    return out.astype(np.float32)


def insertion_end(ins):
    """Seconds at which an insertion has turned fully back."""
    return ins.time + ins.entry.duration + ins.entry.ramp


def _apply(poses, fps, ins, first=0):
    """Blend one insertion into poses (T, 55, 3), whose row 0 is frame ``first``, in place."""
    entry, n = ins.entry, first + len(poses)
    t0 = ins.time
    t1 = t0 + entry.duration
    lo = max(first, int(np.floor((t0 - entry.ramp) * fps)))
    hi = min(n, int(np.ceil((t1 + entry.ramp) * fps)) + 1)
    if hi <= lo:
        return
    frames = np.arange(lo, hi)
    t = frames / fps
    weight = np.ones(len(t))
    if entry.ramp > 0:
        up = np.clip((t - (t0 - entry.ramp)) / entry.ramp, 0.0, 1.0)
        down = np.clip(((t1 + entry.ramp) - t) / entry.ramp, 0.0, 1.0)
        weight = _smooth(np.minimum(up, down))
    weight[(t >= t0) & (t <= t1)] = 1.0
    target = _target(entry, t - t0)  # (k, J, 3)
    current = poses[lo - first:hi - first][:, entry.joints]
    # limited joints ramp on their side of a half turn, as seams do (windows.fade_offset)
    q = quat_slerp(quat_hemisphere(axis_angle_to_quat(current)), quat_hemisphere(axis_angle_to_quat(target)),
                   weight[:, None], shortest=~LIMITED[entry.joints])
    poses[lo - first:hi - first, entry.joints] = quat_to_axis_angle(q)


def _target(entry, since):
    """The entry's pose at times ``since`` seconds after the word (clips play, then hold ends)."""
    if not entry.is_clip:
        return np.repeat(entry.frames, len(since), axis=0)
    pos = np.clip(since * entry.fps, 0.0, entry.frames.shape[0] - 1)
    i = np.floor(pos).astype(np.int64)
    j = np.minimum(i + 1, entry.frames.shape[0] - 1)
    q = quat_slerp(axis_angle_to_quat(entry.frames[i]), axis_angle_to_quat(entry.frames[j]),
                   (pos - i)[:, None])
    return quat_to_axis_angle(q)


def _smooth(u):
    return u * u * (3.0 - 2.0 * u)
