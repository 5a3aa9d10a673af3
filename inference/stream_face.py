"""The face stage on a live stream: each run of frames handed out gets the face curves, jaw and
eyes the offline face stage (face.py) would give them, from the audio heard so far.

The face model is run, as offline, on the stream's current request (its audio since the anchor,
up to the newest final frame) with no words, so the mouth comes from the voice alone; the
newest frames of its answer are kept. A model plans some things over its whole request (blink
and saccade times, the loudness scale), so a new call may disagree with the last one where they
meet: the difference is faded out over FADE_FRAMES, as the body's joins are, so a curve never
jumps between two runs of frames.
"""

import logging

import numpy as np

from ..motion import Motion
from ..motion.facecurves import JAW
from .face import FaceRequest, FaceResult, apply_face

log = logging.getLogger(__name__)

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

    def apply(self, frames, body, features, start, anchor):
        """``frames`` (Motion of global frames [start, start + n)) with the face in it.

        body : Motion of global frames [body_start, start + n) (at least ``frames``), the body
            the face model sees (its eyes and jaw). features : AudioFeatures from global frame
            ``anchor`` on, up to the audio heard (the look-ahead past the frames included).
        """
        n, upto = frames.n_frames, start + frames.n_frames - anchor
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
        columns = self._join(np.concatenate(columns, 1)[upto - keep:upto], keep > n, start)
        curves = dict(zip(names, np.clip(columns[:, :-3], 0.0, 1.0).T))  # weights, 0..1
        face = FaceResult(curves, columns[:, -3], columns[:, -2:], result.source)
        return apply_face(frames, face, self.mode, self.model.name)

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


def _pad_front(body, total):
    """``body``'s last ``total`` frames, its first frame repeated in front when it holds fewer."""
    if body.n_frames >= total:
        return body[body.n_frames - total:]
    pad = body[:1]
    return Motion.concatenate([pad] * (total - body.n_frames) + [body])
