"""The network's motion played through the training speaker's own mocap.

A network trained on a few minutes of one speaker learns when and where his hands go, but its
output is a smoothed average of him: a classifier told every learned backend's windows from his
(AUC 1.00: chests that accelerate a third of his, wrists held off his mean, knees bent by the
feet stage). So a model keeps its training takes (``mocap.npz``, written at training), and at
generation the whole take is motion-matched against the network's own motion: the training
frames whose head, elbows and wrists move most like the network's (positions and velocities,
each standardised over the takes) are played, in segments cut on the speech's beats and planned
together so that a join is made only where following needs one, on the takes' own legs and root
(the ``matching`` generator's ``follow``, asked through the registry). The network chooses the gestures; the
speaker's mocap moves them. ``follow`` sets how much the network's path outweighs playing on
smoothly; 0 keeps the network's motion as it is (also for a model trained before the takes were
stored, and live). The jaw and face stay the network's.

Held against the speaker's held-out half (``benchmarks/bench_realism.py --neural``, a 22 s
training take), a classifier told the four backends from him at 1.00; played through the take,
0.61-0.72 with their copies held out together, the wrists' path correlating 0.22-0.32 with the
network's (about 0 with the network's on another recording, 0.06-0.14 with another backend's
played take: each backend draws its own random streams).
"""

import logging
import zipfile
from pathlib import Path

import numpy as np

from ...inference.cache import LruCache
from ...inference.generation.generators import get_generator
from ...inference.registry import PluginError
from ...motion import Motion
from ...motion.metrics.kinematics import joint_positions
from ...motion.skeleton import JAW, JOINT_INDEX
from .layout import vectors_to_motion

log = logging.getLogger(__name__)

MOCAP = "mocap.npz"
FOLLOW = 5.0  # the default weight of the network's path (``generator.follow_option``)
VELOCITY = 0.1  # s: velocities against positions in the matched features
FOLLOWED = [JOINT_INDEX[name] for name in ("head", "left_elbow", "right_elbow", "left_wrist", "right_wrist")]
_cache = LruCache(2)


def store(folder, dataset):
    """Write the dataset's takes (whole, at its rate) as ``mocap.npz`` in the model ``folder``."""
    write(folder, [vectors_to_motion(t.poses, dataset.layout, dataset.fps, trans=t.trans) for t in dataset.takes],
          [t.name for t in dataset.takes])


def write(folder, motions, names):
    """Write ``motions`` (one rate), named ``names``, as the model ``folder``'s ``mocap.npz``."""
    np.savez_compressed(Path(folder) / MOCAP, poses=np.concatenate([m.poses for m in motions]),
                        trans=np.concatenate([m.trans for m in motions]).astype(np.float32),
                        lengths=np.array([m.n_frames for m in motions]), names=np.array(names),
                        fps=motions[0].fps)


def trajectory(motion):
    """(T, 30) what the matching follows: the head, elbow and wrist positions of the pose (m,
    the root left out) and their velocities (times VELOCITY)."""
    positions = joint_positions(motion, FOLLOWED).reshape(motion.n_frames, -1)
    velocities = np.gradient(positions, axis=0) * motion.fps if motion.n_frames > 1 else 0.0 * positions
    return np.concatenate([positions, VELOCITY * velocities], axis=1)


def takes(model, fps, weight):
    """(takes, mean, scale, key) of the model's stored takes at ``fps``: [(name, Motion,
    trajectory standardised (minus mean, over scale: ``weight`` the cost of a standardised
    unit))] and the key the matcher keeps their index under; None where the model has no takes
    stored."""
    path = Path(model.folder) / MOCAP
    if not path.exists():
        return None
    key = (str(path), path.stat().st_mtime_ns, float(fps), float(weight))
    hit = _cache.get(key)
    if hit is None:
        hit = _load(path, model, fps, weight) + (key,)
        _cache.put(key, hit)
    return hit


def _load(path, model, fps, weight):
    try:
        with np.load(path) as stored:
            data = {key: stored[key] for key in ("poses", "trans", "lengths", "names", "fps")}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log.warning("%s cannot be read (%s); the network's motion is kept as it is", path, exc)
        return (None, None, None)
    if abs(float(data["fps"]) - fps) > 1e-6:  # generation runs at the model's rate, which is the takes'
        log.info("%s holds takes at %g fps, not the %g asked; the network's motion is kept", path,
                 float(data["fps"]), fps)
        return (None, None, None)
    ends = np.cumsum(data["lengths"])
    betas = np.asarray(model.metadata.get("betas") or [], np.float32)
    motions = [Motion(poses=data["poses"][e - n:e], trans=data["trans"][e - n:e], fps=fps, betas=betas)
               for n, e in zip(data["lengths"], ends)]
    features = [trajectory(m) for m in motions]
    stacked = np.concatenate(features)
    mean, spread = stacked.mean(0), np.maximum(stacked.std(0), 1e-6)
    # Two random frames then cost about 4 per frame and unit weight, as the audio's would.
    scale = spread * np.sqrt(stacked.shape[1] / 2.0 / weight)
    parts = [(str(n), m, ((f - mean) / scale).astype(np.float32))
             for n, m, f in zip(data["names"], motions, features)]
    return parts, mean, scale


def played(model, request, motion, weight, stream="follow"):
    """``motion`` (the network's) played through the model's stored takes (see the module), or
    None where it is not (``weight`` 0, a live stream, a model without its takes); ``stream``
    names the seeded random streams of the play (each backend its own)."""
    if weight <= 0.0 or request.streaming:
        return None
    found = takes(model, request.fps, weight)
    if found is None:
        log.info("the model in %s stores no training takes (train it again to play its motion "
                 "through them); the network's motion is kept", model.folder)
        return None
    if found[0] is None:  # unreadable or at another rate: said once, when the file was read
        return None
    parts, mean, scale, key = found
    target = ((trajectory(motion) - mean) / scale).astype(np.float32)
    try:
        out = get_generator("matching").follow(request, parts, target, key, stream)
    except PluginError as exc:
        log.warning("%s; the network's motion is kept as it is", exc)
        return None
    out.poses[:, JAW] = motion.poses[:, JAW]
    out.expressions = motion.expressions.copy()
    out.betas = motion.betas
    return out
