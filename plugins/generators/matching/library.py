"""A user's mocap library for motion matching: SMPL-X npz takes with their audio, indexed.

A library is a folder of takes: ``NAME.npz`` (BEAT2/AMASS SMPL-X motion) next to ``NAME.wav``
(or .flac/.ogg/.mp3) holding the speech recorded with it. Each take is resampled to the
matching rate, its audio turned into per-frame matching features, and its poses into a few
joint positions for continuity costs. The built index is kept in memory, keyed by the folder
and the names, sizes and modification times of its files, so a second request is instant and
an edited library is re-read.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ....inference.cache import LruCache
from ....inference.registry import PluginError
from ....motion import MotionFileError, load_motion
from ....motion.files import take_files
from ....motion.contacts import detect_contacts
from ....motion.resample import resample
from ....motion.skeleton import neutral_skeleton

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
POSE_JOINTS = np.array([15, 18, 19, 20, 21])  # head, elbows, wrists: what a viewer tracks
LEG_JOINTS = np.array([4, 5, 7, 8, 10, 11])  # knees, ankles, feet: how the legs stand
ANKLES = [7, 8]
MIN_SECONDS = 5.0
CACHE_SIZE = 4


class LibraryError(PluginError):
    """The mocap library folder is missing, empty or holds takes talkrig cannot use."""


@dataclass
class Take:
    name: str
    start: int  # first frame in the library's concatenated arrays
    stop: int


@dataclass
class Library:
    """All takes concatenated at ``fps``.

    poses (N, 55, 3), trans (N, 3), expressions (N, E), betas: the motion.
    audio (N, D): per-frame matching features (the audio's; the learned backends' mocap
    library holds its own motion's, ``neural.mocap``); pose_features (N, 15), velocities (N, 15):
    root-relative head/elbow/wrist positions (m) and their velocities (m/s).
    leg_features (N, 18), leg_velocities (N, 18): the same of the knees, ankles and feet, and
    contacts (N, 2): the feet that stand (each take's own), for the lower body's stretches.
    takes: where each take lies in the arrays.
    """

    folder: str
    fps: float
    takes: list
    poses: np.ndarray
    trans: np.ndarray
    expressions: np.ndarray
    betas: np.ndarray
    audio: np.ndarray
    pose_features: np.ndarray
    velocities: np.ndarray
    leg_features: np.ndarray
    leg_velocities: np.ndarray
    contacts: np.ndarray

    @property
    def n_frames(self):
        return self.poses.shape[0]

    def mask(self, exclude=()):
        """(N,) frames usable as segment sources, with takes named in ``exclude`` left out."""
        keep = np.ones(self.n_frames, bool)
        excluded = {e.strip().lower() for e in exclude if e and e.strip()}
        unknown = excluded - {t.name.lower() for t in self.takes}
        if unknown:
            names = ", ".join(t.name for t in self.takes)
            raise LibraryError(f"matching option 'exclude': no take named '{sorted(unknown)[0]}' in "
                               f"{self.folder} (takes: {names})")
        for take in self.takes:
            if take.name.lower() in excluded:
                keep[take.start:take.stop] = False
        return keep


def audio_features(features):
    """(T, D) matching features of an AudioFeatures: loudness, onsets, voicing, pitch, timbre.

    Each recording is normalised on its own (loudness and onset scale, pitch around the
    speaker's median, MFCC means) so a library speaker matches a user with another voice.
    """
    rms = np.asarray(features.rms, np.float64)
    onset = np.asarray(features.onset_strength, np.float64)
    voiced = np.asarray(features.voiced, np.float64)
    f0 = np.asarray(features.f0, np.float64)
    energy = rms / max(np.percentile(rms, 95), 1e-6)
    onset = np.clip(onset / max(np.percentile(onset, 95), 1e-6), 0.0, 2.0)
    pitch = np.zeros_like(f0)
    ok = (f0 > 40) & (voiced > 0.5)
    if ok.sum() > 3:
        pitch[ok] = np.clip(12.0 * np.log2(f0[ok] / np.median(f0[ok])) / 6.0, -1.5, 1.5)
    mfcc = np.asarray(features.mfcc, np.float64)[:, 1:5]
    mfcc = (mfcc - mfcc.mean(0)) / np.maximum(mfcc.std(0), 1e-6)
    d_energy = np.gradient(energy) * 3.0 if len(energy) > 1 else np.zeros_like(energy)
    return np.column_stack([1.5 * energy, 1.2 * onset, 0.6 * voiced, 0.8 * pitch, d_energy,
                            0.25 * mfcc]).astype(np.float32)


def pose_features(poses, fps):
    """Root-relative head/elbow/wrist positions (T, 15) and velocities (T, 15) of poses."""
    return joint_features(neutral_skeleton().forward_kinematics(poses)[1], POSE_JOINTS, fps)


def joint_features(pos, joints, fps):
    """Root-relative positions (T, 3J) of ``joints`` from FK positions ``pos`` (T, 55, 3), and
    their velocities (T, 3J)."""
    rel = (pos[:, joints] - pos[:, :1]).reshape(len(pos), -1)
    vel = np.zeros_like(rel)
    if len(rel) > 1:
        vel[1:] = np.diff(rel, axis=0) * fps
        vel[0] = vel[1]
    return rel.astype(np.float32), vel.astype(np.float32)


def find_takes(folder):
    """[(name, motion path, audio path)] of a library folder; LibraryError if there are none."""
    path = Path(folder).expanduser()
    if not path.exists():
        raise LibraryError(f"matching option 'library': folder {path} does not exist")
    if not path.is_dir():
        raise LibraryError(f"matching option 'library': {path} is not a folder")
    takes, missing = [], []
    for npz in take_files(path):
        audio = next((npz.with_suffix(s) for s in AUDIO_SUFFIXES if npz.with_suffix(s).exists()), None)
        if audio is None:
            missing.append(npz.name)
        else:
            takes.append((npz.stem, npz, audio))
    if missing:
        log.warning("matching library %s: no audio beside %s; skipped", path, ", ".join(missing))
    if not takes:
        raise LibraryError(f"matching option 'library': {path} holds no takes (a take is NAME.npz "
                           f"or NAME.bvh with NAME.wav beside it)"
                           f"{'; motion without audio: ' + ', '.join(missing) if missing else ''}")
    return takes


def _signature(takes):
    parts = []
    for name, npz, audio in takes:
        for p in (npz, audio):
            st = p.stat()
            parts.append((str(p), st.st_size, st.st_mtime_ns))
    return tuple(parts)


_cache = LruCache(CACHE_SIZE)


def load_library(folder, fps=30.0):
    """The indexed library of ``folder`` at ``fps`` (cached by folder, file sizes and mtimes)."""
    takes = find_takes(folder)
    key = (str(Path(folder).expanduser().resolve()), float(fps), _signature(takes))
    hit = _cache.get(key)
    if hit is not None:
        return hit
    library = _build(str(Path(folder).expanduser()), takes, fps)
    _cache.put(key, library)
    return library


def _build(folder, takes, fps):
    from ....inference.audio.decode import decode_audio
    from ....inference.features.compute import compute_features

    parts = []
    for name, npz, audio_path in takes:
        try:
            motion = load_motion(npz)
        except MotionFileError as exc:
            raise LibraryError(f"matching library: {exc}") from None
        if motion.fps != fps:
            motion = resample(motion, fps)
        audio = decode_audio(audio_path)
        features = compute_features(audio.samples, audio.sample_rate, fps)
        n = min(motion.n_frames, features.n_frames)
        if n < 2:
            continue
        parts.append((name, motion[:n], audio_features(features)[:n]))
    return index_takes(folder, parts, fps)


def index_takes(folder, parts, fps):
    """The Library of ``parts``, [(name, Motion at ``fps``, (T, D) matching features)]: the
    takes concatenated, with their pose features and contacts; ``folder`` names it in messages."""
    total = sum(p[1].n_frames for p in parts)
    if total < MIN_SECONDS * fps:
        raise LibraryError(f"matching library {folder}: {total / fps:.1f} s of mocap with audio; "
                           f"at least {MIN_SECONDS:g} s are needed (a minute or more works well)")
    n_expr = max(p[1].n_expressions for p in parts)
    poses, trans, expr, feats, entries = [], [], [], [], []
    start = 0
    for name, motion, feat in parts:
        poses.append(motion.poses)
        trans.append(motion.trans)
        e = np.zeros((motion.n_frames, n_expr), np.float32)
        e[:, :motion.n_expressions] = motion.expressions
        expr.append(e)
        feats.append(feat)
        entries.append(Take(name, start, start + motion.n_frames))
        start += motion.n_frames
    poses, trans = np.concatenate(poses), np.concatenate(trans)
    pos = neutral_skeleton().forward_kinematics(poses)[1]
    rel, vel = joint_features(pos, POSE_JOINTS, fps)
    legs, leg_vel = joint_features(pos, LEG_JOINTS, fps)
    for take in entries:  # no velocity across the join of two takes
        for v in (vel, leg_vel):
            v[take.start] = v[min(take.start + 1, take.stop - 1)]
    feet = pos[:, ANKLES] + trans[:, None].astype(np.float64)  # in the room: each take's own root
    contacts = np.concatenate([detect_contacts(feet[t.start:t.stop], fps) for t in entries])
    log.info("matching library %s: %d takes, %.1f s", folder, len(entries), start / fps)
    return Library(folder=folder, fps=fps, takes=entries, poses=poses, trans=trans,
                   expressions=np.concatenate(expr), betas=parts[0][1].betas, audio=np.concatenate(feats),
                   pose_features=rel, velocities=vel, leg_features=legs, leg_velocities=leg_vel,
                   contacts=contacts)
