"""The face stage on a live stream: each run of frames handed out gets the face curves, jaw and
eyes the offline face stage (face.py) would give them, from the audio heard so far.

The face model is run, as offline, on the stream's current request (its audio since the anchor,
up to the newest final frame) with no words, so the mouth comes from the voice alone; the
newest frames of its answer are kept. A model plans some things over its whole request (blink
and saccade times, the loudness scale), so a new call may disagree with the last one where they
meet: the difference is faded out over FADE_FRAMES, as the body's joins are, so a curve never
jumps between two runs of frames.
"""

import dataclasses
import logging

import numpy as np

from ...motion import Motion
from ...motion.facecurves import JAW
from ..features.activity import not_speech
from ..generation.face import FaceRequest, FaceResult, apply_face

log = logging.getLogger(__name__)

WINDOW_SECONDS = 4.0  # audio the face is made from, at least (its loudness scale, pauses)
STEP_SECONDS = 4.0  # its start moves a whole step at once: blinks stay where planned (1 s: 38 a minute, 4 s: 14, offline 16)
MOUTH = ("jaw", "mouth", "viseme_")  # curves that open and shape the mouth
# Seconds between two runs of the music test over the face's audio (music, laughter and beats
# are runs of a second or more; run on every call it was half of a stream's face, a fifth of
# its whole work); the frames heard since carry on its last frame's answer.
MUSIC_REFRESH = 0.5
# The face model scales loudness to the loudest of its audio, so a few seconds of pause (or a
# stream that starts in silence, amplified by the loudness gain) would read as speech: the mouth
# stays shut when that audio is quiet, in the recording (below SILENT_DBFS) or next to the speech
# heard before (normalised RMS below PAUSE_RMS; speech is normalised to 0.1).
SILENT_DBFS, SPEECH_DBFS = -60.0, -50.0
PAUSE_RMS, SPEECH_RMS = 0.01, 0.03
FADE_FRAMES = 2  # longer fades lag the mouth behind the voice (4: jaw r 0.52 with offline, 2: 0.55)


class LiveFace:
    """model : a face model instance. options : its validated options (stage options included)."""

    def __init__(self, model, options, seed=0):
        self.model = model
        self.options = dict(options or {})
        self.mode = self.options.get("expressions", "replace")
        self.seed = int(seed)
        self.last = None  # (C,) the last frame handed out: curves, jaw, eye yaw and pitch
        self.fade = None  # (offset (C,), frame it started at): a disagreement being faded out
        self.music = None  # (window start, (T,) bool): the music test's last answer

    def apply(self, frames, body, heard, start):
        """``frames`` (Motion of global frames [start, start + n)) with the face in it.

        body : Motion of global frames [body_start, start + n) (at least ``frames``), the body
            the face model sees (its eyes and jaw). heard : the stream's LiveFeatures (the
            audio heard, the look-ahead past the frames included).
        """
        n, step = frames.n_frames, round(STEP_SECONDS * frames.fps)
        anchor = max(heard.frame_start, (start + n - round(WINDOW_SECONDS * frames.fps)) // step * step)
        features = self._with_music(heard.window(anchor), anchor)
        upto = start + n - anchor
        ahead = max(0, features.n_frames - upto)  # frames of the look-ahead heard past the last one
        total = upto + ahead
        history = _pad_front(body, upto)
        if ahead:
            history = Motion.concatenate([history] + [history[-1:]] * ahead)
        request = FaceRequest(motion=history, words=[], features=features,
                              seed=self.seed, options=self.options)
        result = self.model.animate(request)
        keep = min(upto, n + 1)  # the frame before too: what this call says of the last one sent
        names = sorted(result.curves)
        # a model may leave the jaw or the eyes alone in one call and not the next: the body's
        # own jaw and still eyes stand in, so every call has the same columns to join
        jaw = result.jaw if result.jaw is not None else history.poses[:, JAW, 0]
        eyes = result.eyes if result.eyes is not None else np.zeros((total, 2))
        columns = [np.asarray(result.curves[k], np.float64).reshape(total, 1) for k in names]
        columns += [np.asarray(jaw, np.float64).reshape(total, 1), np.asarray(eyes, np.float64).reshape(total, 2)]
        columns = np.concatenate(columns, 1)[upto - keep:upto]
        mouth = [k for k, name in enumerate(names) if name.startswith(MOUTH)] + [len(names)]
        columns[:, mouth] *= speech_gate(features.rms, heard.gain)
        columns = self._join(columns, keep > n, start)
        curves = dict(zip(names, np.clip(columns[:, :-3], 0.0, 1.0).T))  # weights, 0..1
        face = FaceResult(curves, columns[:, -3], columns[:, -2:], result.source)
        return apply_face(frames, face, self.mode, self.model.name)

    def _with_music(self, features, anchor):
        """``features`` with their music frames: the music test run again for a new window or
        once MUSIC_REFRESH seconds more were heard, its last answer carried on till then."""
        n, cached = features.n_frames, self.music
        if cached is None or cached[0] != anchor or n - len(cached[1]) >= round(MUSIC_REFRESH * features.fps):
            self.music = cached = (anchor, not_speech(features))
        known = cached[1][:n]
        music = np.concatenate([known, np.full(n - len(known), bool(known[-1]) if len(known) else False)])
        return dataclasses.replace(features, music=music)

    def _join(self, columns, overlap, start):
        """The new frames of ``columns`` ((n + overlap, C); with ``overlap`` its row 0 is this
        call's value of the last frame sent), the disagreement on that frame faded out."""
        if overlap and self.last is not None and self.last.shape == columns.shape[1:]:
            self.fade = (self.last - columns[0], start)
        columns = columns[1:] if overlap else columns
        if self.fade is not None:
            offset, began = self.fade
            age = np.arange(start, start + len(columns)) - began
            weight = np.clip(1.0 - (age + 1) / (FADE_FRAMES + 1), 0.0, 1.0)
            columns = columns + weight[:, None] * offset
            if weight[-1] == 0.0:
                self.fade = None
        self.last = columns[-1].copy()
        return columns


def speech_gate(rms, gain):
    """0 (no speech in this audio: mouth shut) .. 1 from its (T,) normalised frame RMS and the
    stream's loudness gain (None: nothing above silence heard yet)."""
    if gain is None or len(rms) == 0:
        return 0.0
    level = float(np.percentile(rms, 95))
    dbfs = 20.0 * np.log10(max(level / gain, 1e-12))  # as recorded, before the gain
    loud = np.clip((dbfs - SILENT_DBFS) / (SPEECH_DBFS - SILENT_DBFS), 0.0, 1.0)
    return float(min(loud, np.clip((level - PAUSE_RMS) / (SPEECH_RMS - PAUSE_RMS), 0.0, 1.0)))


def _pad_front(body, total):
    """``body``'s last ``total`` frames, its first frame repeated in front when it holds fewer."""
    if body.n_frames >= total:
        return body[body.n_frames - total:]
    pad = body[:1]
    return Motion.concatenate([pad] * (total - body.n_frames) + [body])
