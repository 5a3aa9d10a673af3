"""Training data: a folder of SMPL-X takes with their audio (and word timings), as windows.

A take is ``NAME.npz`` (BEAT2/AMASS SMPL-X) with ``NAME.wav`` (or .flac/.ogg/.mp3) beside it and
optionally ``NAME.TextGrid`` (or .json/.srt/.vtt/.ass) with word timings. Takes without audio still
train the motion-only parts of a model (DR²'s unpaired pose sequences). Each take is split in
time: the last ``val_split`` fraction of its frames is held out for validation, so overlapping
windows never leak training frames into the validation loss.
"""

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ....motion import load_motion
from ....motion.files import take_files
from ....motion.errors import TalkrigError
from ..layout import PoseLayout, motion_to_vectors
from ..textcode import text_frames

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
WORD_SUFFIXES = (".TextGrid", ".textgrid", ".json", ".srt", ".vtt", ".ass", ".ssa")
INPUTS = ("mel", "mfcc", "text")


class TrainingDataError(TalkrigError):
    """The training folder holds nothing usable, or a take cannot be read."""


@dataclass
class Take:
    """One recording: pose vectors and, when it has audio, the input features per frame.

    poses : (T, D) float32 pose vectors (see ``layout``).
    inputs : (T, F) float32 per-frame network input, or None for motion-only takes.
    speaking : (T,) bool, someone speaks at that frame (None for motion-only takes).
    """

    name: str
    poses: np.ndarray
    inputs: np.ndarray = None
    speaking: np.ndarray = None
    trans: np.ndarray = None  # (T, 3)
    betas: np.ndarray = None

    @property
    def n_frames(self):
        return self.poses.shape[0]


@dataclass
class Dataset:
    """Takes plus their train/validation split and normalisation statistics."""

    takes: list
    layout: PoseLayout
    fps: float
    input_kind: str
    train: list = field(default_factory=list)  # (take index, start, end) frame ranges
    val: list = field(default_factory=list)

    def frames(self, ranges, paired=True):
        return sum(e - s for i, s, e in ranges if not paired or self.takes[i].inputs is not None)

    def normalise_inputs(self, kind, reference=None):
        """Move every paired take's features to one level per band (``neural.featurenorm``,
        ``kind`` "recording" or "recording_std"), the training speaker's unless ``reference``
        ((F,) mean, (F,) std, from a checkpoint) is given; return the reference used."""
        from ..featurenorm import normalise, reference_level

        paired = [t for t in self.takes if t.inputs is not None]
        if reference is None:
            reference = reference_level([(t.inputs, t.speaking) for t in paired])
        for take in paired:
            take.inputs = normalise(take.inputs, take.speaking, reference, kind)
        return reference

    def input_stats(self):
        """Mean and std (floored at 1e-3) of the inputs over the training frames."""
        rows = [self.takes[i].inputs[s:e] for i, s, e in self.train if self.takes[i].inputs is not None]
        data = np.concatenate(rows)
        return data.mean(0).astype(np.float32), np.maximum(data.std(0), 1e-3).astype(np.float32)

    def pose_stats(self):
        """Mean and std (floored at 1e-3) of the pose vectors over the training frames."""
        data = np.concatenate([self.takes[i].poses[s:e] for i, s, e in self.train])
        return data.mean(0).astype(np.float32), np.maximum(data.std(0), 1e-3).astype(np.float32)

    def root_trans(self):
        """(3,) mean root position of the training takes."""
        return np.concatenate([t.trans for t in self.takes]).mean(0).astype(np.float32)

    def feet_anchor(self):
        """(3,) where the speaker's feet stood on average (see ``neural.grounding``)."""
        from ..grounding import feet_anchor
        from ..layout import vectors_to_motion

        points = [feet_anchor(vectors_to_motion(t.poses, self.layout, self.fps).poses, t.trans)
                  for t in self.takes]
        weights = [t.n_frames for t in self.takes]
        return np.average(points, axis=0, weights=weights).astype(np.float32)

    def speech_pace(self):
        """``neural.liveliness.speech_pace`` over the training frames of speech (per body
        part), what a generated take is scaled up to; {} without speech."""
        from ..liveliness import speech_pace

        ranges = [(self.takes[i], s, e) for i, s, e in self.train
                  if self.takes[i].speaking is not None and e - s > 1]
        rows = [(speech_pace(t.poses[s:e], self.layout, t.speaking[s:e], self.fps),
                 int(t.speaking[s:e].sum())) for t, s, e in ranges]
        rows = [(speeds, n) for speeds, n in rows if speeds]
        if not rows:
            return {}
        names = dict.fromkeys(name for speeds, _ in rows for name in speeds)  # a take without pauses has no pause target
        return {name: float(np.average([speeds[name] for speeds, _ in rows if name in speeds],
                                       weights=[n for speeds, n in rows if name in speeds]))
                for name in names}

    def angular_jerk(self):
        """The upper body's angular jerk (``motion.metrics.posture.angular_jerk``, rad/s^3) over
        the training frames, weighted by their number: what a generated take's fine turning is
        raised to (``NeuralGenerator.fine_turned``); None without 4 frames in a row."""
        from ....motion.metrics.posture import angular_jerk
        from ..layout import vectors_to_motion

        rows = [(angular_jerk(vectors_to_motion(self.takes[i].poses[s:e], self.layout, self.fps)), e - s)
                for i, s, e in self.train if e - s >= 4]
        if not rows:
            return None
        return float(np.average([j for j, _ in rows], weights=[n for _, n in rows]))

    def postures(self):
        """(POSTURES, D) the speaker's posture at evenly spread moments of the training frames
        (``neural.stance``: a seed's stance)."""
        from ..stance import spread_postures

        return spread_postures([self.takes[i].poses[s:e] for i, s, e in self.train], self.fps)

    def standing(self):
        """{"leg_activity": rad/s, "root_travel": m/s, "stance": {...}} of the training frames
        (``motion.metrics.posture``, the first two weighted by their number; the stance, how
        his pelvis stands over his feet and how far his knees bend, from the frames he stands
        on both feet, ``stance_range``): what a generated take's legs and root are brought to
        and kept within (``neural.standing``); {} without 2 frames in a row."""
        from ....motion.metrics.posture import leg_activity, root_travel, stance_range
        from ..layout import vectors_to_motion

        rows = [(vectors_to_motion(self.takes[i].poses[s:e], self.layout, self.fps,
                                   trans=self.takes[i].trans[s:e]), e - s)
                for i, s, e in self.train if e - s >= 2]
        if not rows:
            return {}
        weights = [n for _, n in rows]
        out = {name: float(np.average([measure(m) for m, _ in rows], weights=weights))
               for name, measure in (("leg_activity", leg_activity), ("root_travel", root_travel))}
        stance = stance_range([m for m, _ in rows])
        return {**out, "stance": stance} if stance else out

    def summary(self):
        paired = [t for t in self.takes if t.inputs is not None]
        return {
            "takes": [t.name for t in self.takes],
            "paired_takes": len(paired),
            "frames": int(sum(t.n_frames for t in self.takes)),
            "seconds": round(sum(t.n_frames for t in self.takes) / self.fps, 2),
            "train_frames": int(self.frames(self.train, paired=False)),
            "val_frames": int(self.frames(self.val, paired=False)),
        }


def find_takes(folder):
    """[(motion path, audio path or None, words path or None)] for every take under ``folder``
    (NAME.npz, or NAME.bvh of any humanoid skeleton: ``motion.files.take_files``)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise TrainingDataError(f"{folder}: no such folder (--data must be a folder of .npz or .bvh takes)")
    found = []
    for npz in take_files(folder, recursive=True):
        audio = next((npz.with_suffix(s) for s in AUDIO_SUFFIXES if npz.with_suffix(s).exists()), None)
        words = next((npz.with_suffix(s) for s in WORD_SUFFIXES if npz.with_suffix(s).exists()), None)
        found.append((npz, audio, words))
    if not found:
        raise TrainingDataError(f"{folder}: no .npz or .bvh motion files found")
    return found


def take_inputs(input_kind, fps, audio=None, words=None, n_frames=None):
    """(T, F) per-frame network input for one recording and (T,) bool where someone speaks.

    input_kind "mel"/"mfcc": features of the audio file (the project's audio front-end, the same
    function inference uses), speech from its activity detector. "text": encodings of the words
    (a list of Word) over n_frames, speech where a word is said.
    """
    if input_kind == "text":
        speaking = np.zeros(n_frames, bool)
        for w in words:
            speaking[max(0, int(w.start * fps)):max(0, int(np.ceil(w.end * fps)))] = True
        return text_frames(words, n_frames, fps), speaking
    from ....inference.features.activity import speech_activity
    from ....inference.audio.decode import decode_audio
    from ....inference.features.compute import features_for

    features = features_for(decode_audio(str(audio)), fps)
    return (np.asarray(getattr(features, input_kind), dtype=np.float32),
            speech_activity(features)[:features.n_frames])


def read_word_file(path):
    """Words (list of Word) of a TextGrid/JSON/SRT/VTT/ASS file (inference.speech.transcripts reads them)."""
    from ....inference.speech.transcripts import read_timed_words, read_transcript_file
    from ....inference.speech.words import Word

    rows = read_timed_words(read_transcript_file(path), name=str(path))
    return [Word(w, float(s), float(e), float(c)) for w, s, e, c in rows]


def load_dataset(folder, input_kind, layout=None, fps=30.0, val_split=0.1, min_val_frames=32):
    """Read every take under ``folder`` into a Dataset with its train/validation split."""
    if input_kind not in INPUTS:
        raise TrainingDataError(f"unknown input '{input_kind}'; choose one of {', '.join(INPUTS)}")
    if not 0.0 <= val_split < 0.9:
        raise TrainingDataError(f"--val-split must be in [0, 0.9), got {val_split}")
    entries = find_takes(folder)
    motions = [(load_motion(npz), npz, audio, words) for npz, audio, words in entries]
    if layout is None:
        n_expr = min(m.n_expressions for m, *_ in motions)
        layout = PoseLayout(n_expressions=n_expr)
    takes = []
    for motion, npz, audio, words in motions:
        if abs(motion.fps - fps) > 1e-6:
            raise TrainingDataError(
                f"{npz}: motion is at {motion.fps:g} fps; talkrig trains at {fps:g} fps "
                f"(resample the take first)"
            )
        inputs = speaking = None
        source = words if input_kind == "text" else audio
        if source is not None:
            word_list = read_word_file(words) if input_kind == "text" else None
            inputs, speaking = take_inputs(input_kind, fps, audio=audio, words=word_list,
                                           n_frames=motion.n_frames)
            n = min(len(inputs), motion.n_frames)
            if abs(len(inputs) - motion.n_frames) > fps:
                log.warning("%s: motion has %d frames but its %s gives %d; using the first %d",
                            npz.name, motion.n_frames, source.name, len(inputs), n)
            inputs, speaking, motion = inputs[:n], speaking[:n], motion[:n]
        else:
            log.info("%s: no %s beside it; used as motion-only data", npz.name,
                     "word timings" if input_kind == "text" else "audio")
        takes.append(Take(name=npz.stem, poses=motion_to_vectors(motion, layout), inputs=inputs,
                          speaking=speaking, trans=motion.trans, betas=motion.betas))
    if not any(t.inputs is not None for t in takes):
        what = "word timings (.TextGrid/.json/.srt/.vtt/.ass)" if input_kind == "text" else "audio (.wav)"
        raise TrainingDataError(f"{folder}: no take has matching {what} beside its .npz file")
    if not any(t.speaking is not None and t.speaking.any() for t in takes):
        # A model fitted to silence learns nothing from a voice: its motion on speech was noise.
        what = "no word is said in any take's word timings" if input_kind == "text" \
            else "no speech is heard in any take's audio (silent or noise only)"
        raise TrainingDataError(f"{folder}: {what}; there is nothing to learn the gestures of "
                                "speech from")
    dataset = Dataset(takes=takes, layout=layout, fps=fps, input_kind=input_kind)
    for i, take in enumerate(takes):
        n_val = int(round(take.n_frames * val_split))
        if 0 < n_val < min_val_frames:
            n_val = 0
        dataset.train.append((i, 0, take.n_frames - n_val))
        if n_val:
            dataset.val.append((i, take.n_frames - n_val, take.n_frames))
    return dataset


class WindowSampler:
    """Random fixed-length windows from frame ranges, with extra frames before/after.

    A window is frames [s - before, s + length + after) of one take; its start s is drawn
    uniformly among the positions where the whole span fits in the range.
    """

    def __init__(self, dataset, ranges, length, before=0, after=0, paired=True):
        self.dataset = dataset
        self.length, self.before, self.after = length, before, after
        span = before + length + after
        self.ranges = [(i, s, e) for i, s, e in ranges
                       if e - s >= span and (not paired or dataset.takes[i].inputs is not None)]
        if not self.ranges:
            raise TrainingDataError(
                f"no take is long enough for {span}-frame windows ({span / dataset.fps:.1f} s); "
                "record longer takes or lower the window length"
            )
        weights = np.array([e - s - span + 1 for _, s, e in self.ranges], dtype=np.float64)
        self.weights = weights / weights.sum()

    @staticmethod
    def longest(ranges, length, before=0, after=0, multiple=1, minimum=16):
        """``length`` or, when no range is that long, the longest window (a multiple of
        ``multiple``, at least ``minimum``) that fits one; None when none fits."""
        room = max([e - s - before - after for _, s, e in ranges], default=0)
        fit = min(length, room) // multiple * multiple
        return fit if fit >= minimum else None

    def starts(self, rng, count):
        """[(take index, first frame of the span)] for ``count`` random windows."""
        span = self.before + self.length + self.after
        picks = rng.choice(len(self.ranges), size=count, p=self.weights)
        out = []
        for k in picks:
            i, s, e = self.ranges[k]
            out.append((i, int(rng.integers(s, e - span + 1))))
        return out

    def grid(self, stride=None):
        """Evenly spaced windows covering every range (deterministic: validation)."""
        span = self.before + self.length + self.after
        stride = stride or self.length
        return [(i, s0) for i, s, e in self.ranges for s0 in range(s, e - span + 1, stride)]

    def batch(self, picks):
        """{"poses": (B, span, D), "inputs": (B, span, F) or None} float32 for the picks."""
        span = self.before + self.length + self.after
        takes = self.dataset.takes
        poses = np.stack([takes[i].poses[s:s + span] for i, s in picks])
        have_inputs = all(takes[i].inputs is not None for i, _ in picks)
        inputs = np.stack([takes[i].inputs[s:s + span] for i, s in picks]) if have_inputs else None
        return {"poses": poses, "inputs": inputs}
