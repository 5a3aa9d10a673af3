"""Per-recording feature normalisation: a new microphone, room or voice must not look like a
different kind of speech to a network trained on one recording.

A channel (microphone, room, codec) multiplies the spectrum, so it adds a constant per band to
log-mel and cepstral features; a different voice does much the same on average. The network
standardises its input with the training frames' mean and std, so such an offset moves every
band of every frame and the model hears speech unlike any it was trained on. Cepstral mean
normalisation removes it: each band's mean over the recording's speech frames is moved to the
training speaker's (optionally its spread too), so only what changes within the recording
reaches the network.

The recording's mean is shrunk toward the training speaker's with the weight of
``PRIOR_FRAMES`` speech frames: a recording with little speech (or none) keeps the training
speaker's level instead of turning its silence into "average speech". Offline the level is
the whole recording's; features that hold only the audio heard so far (a live stream: the
neural backends do not run live today) give the level heard so far, which starts at the
training speaker's and moves to the voice's own as speech is heard.

numpy only: used by training (per take) and by the generators (per request).
"""

import logging

import numpy as np

log = logging.getLogger(__name__)

NORMS = ("none", "recording", "recording_std")  # the ``feature_norm`` training setting
PRIOR_FRAMES = 60.0  # speech frames (2 s at 30 fps) the training speaker's level weighs as
MIN_STD = 1e-3
DEAD_BAND = 0.1  # of the median mel band's training spread: below it a band carried nothing


def speech_stats(inputs, speaking):
    """Per-band sums over the speech frames: (count, (F,) sum, (F,) sum of squares).

    inputs : (T, F) features. speaking : (T,) bool.
    """
    x = np.asarray(inputs, np.float64)[np.asarray(speaking, bool)[:len(inputs)]]
    return float(len(x)), x.sum(0), np.square(x).sum(0)


def reference_level(takes):
    """(F,) mean and (F,) std over the speech frames of every (inputs, speaking) pair: the
    training speaker's level every recording is moved to. Takes in which no speech is heard
    (silent or noise-only audio) give the level of all their frames instead, so such a training
    still runs as it did without the normalisation."""
    takes = list(takes)
    count, total, squares = 0.0, 0.0, 0.0
    for inputs, speaking in takes:
        n, s, q = speech_stats(inputs, speaking)
        count, total, squares = count + n, total + s, squares + q
    if count < 2:
        log.warning("no speech heard in the training takes: their features' level is measured "
                    "on every frame")
        count, total, squares = 0.0, 0.0, 0.0
        for inputs, _ in takes:
            n, s, q = speech_stats(inputs, np.ones(len(inputs), bool))
            count, total, squares = count + n, total + s, squares + q
    if count < 1:
        raise ValueError("no frames in the training takes to measure the feature level on")
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - np.square(mean), 0.0))
    return mean.astype(np.float32), np.maximum(std, MIN_STD).astype(np.float32)


def recording_level(inputs, speaking, reference, prior_frames=PRIOR_FRAMES):
    """(F,) mean and (F,) std of ``inputs`` over its speech frames, shrunk toward
    ``reference`` ((F,) mean, (F,) std) as if it were ``prior_frames`` speech frames."""
    ref_mean, ref_std = (np.asarray(r, np.float64) for r in reference)
    n, total, squares = speech_stats(inputs, speaking)
    mean = (total + prior_frames * ref_mean) / (n + prior_frames)
    second = (squares + prior_frames * (np.square(ref_std) + np.square(ref_mean))) / (n + prior_frames)
    return mean, np.maximum(np.sqrt(np.maximum(second - np.square(mean), 0.0)), MIN_STD)


def normalise(inputs, speaking, reference, kind="recording", prior_frames=PRIOR_FRAMES):
    """(T, F) float32 ``inputs`` with each band's speech-frame mean moved to the reference's
    (and, for "recording_std", its std scaled to the reference's); unchanged for "none".

    inputs : (T, F) the recording's features (all of it, or all heard so far).
    speaking : (T,) bool speech frames of the recording.
    reference : ((F,) mean, (F,) std) the training speaker's level (``reference_level``).
    prior_frames : the reference's weight, in speech frames (``recording_level``).
    """
    x = np.asarray(inputs, np.float32)
    if kind == "none":
        return x
    ref_mean, ref_std = (np.asarray(r, np.float64) for r in reference)
    mean, std = recording_level(x, speaking, reference, prior_frames)
    scale = ref_std / std if kind == "recording_std" else np.ones_like(mean)
    return ((x - mean) * scale + ref_mean).astype(np.float32)


def hold_dead_bands(features, kind, mean, std):
    """(T, F) ``features`` with the mel bands that did not vary in training (spread below
    ``DEAD_BAND`` of the median band's, or at the floor ``MIN_STD``: band-limited training audio
    such as 8 kHz recordings has nothing above 4 kHz, digital silence nothing anywhere) held at
    their training mean. The network divides by that tiny
    spread, so any sound there on a new recording reached it thousands of standard deviations
    out and its motion flailed. Cepstra mix every band and are left as they are.

    kind : the model's input kind; mean, std : (F,) its training input statistics.
    """
    if kind != "mel":
        return features
    std = np.asarray(std, np.float32)
    dead = (std < DEAD_BAND * np.median(std)) | (std <= 1.01 * MIN_STD)
    if not dead.any():
        return features
    held = np.array(features, np.float32, copy=True)
    held[:, dead] = np.asarray(mean, np.float32)[dead]
    return held
