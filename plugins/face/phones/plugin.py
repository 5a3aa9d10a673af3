"""The built-in face model `phones`: lip sync from phone timings, blinks, brows and saccades."""

import logging

import numpy as np

from ....inference.features.activity import loudness_and_speech
from ....inference.features.activity import phrases as find_phrases
from ....inference.generation.face import EYES, FaceModel, FaceResult
from ....inference.generation.options import Option
from ....motion.facecurves import (
    ARKIT_NAMES, JAW, JAW_OPEN_RADIANS, MOUTH_SHAPE_CURVES, VISEME_CURVES,
)
from .arkit import mouth_curves
from .audio import audio_segments
from .brows import brow_curves, raises, semitones
from .coarticulation import articulate, frame_times
from .eyes import STILL_EYES, blink_curve, blink_times, look_curves, pauses, saccades
from .segments import build_segments

log = logging.getLogger(__name__)


class PhoneFace(FaceModel):
    """Visemes with coarticulation from the words' phones (or the voice alone), blinks at pauses,
    brows on stressed high-pitch words and small saccades."""

    name = "phones"
    summary = ("Lip sync from phone timings (coarticulated visemes: closed lips on p/b/m, teeth "
               "on lip for f/v, rounding on w/oo/ch), from the voice alone without words; "
               "blinks, brows on stressed high-pitch words, small eye saccades.")
    options = (
        Option("mouth_strength", "float", 1.0, "how far the mouth and jaw move (lips still meet "
               "on p/b/m at any strength)", 0.0, 2.0),
        Option("smoothing", "float", 0.02, "seconds of smoothing of the mouth (more: softer, "
               "less articulated)", 0.0, 0.2),
        Option("blink_rate", "float", 17.0, "blinks per minute (0: none)", 0.0, 60.0),
        Option("brow_amount", "float", 1.0, "how high the brows go on stressed words (0: still)",
               0.0, 2.0),
        Option("saccades", "float", 1.0, "size of the small eye movements added when the body's "
               "eyes are still (0: none)", 0.0, 2.0),
    )

    def animate(self, request):
        opts = {opt.name: opt.default for opt in self.options}
        opts.update({k: v for k, v in (request.options or {}).items() if v is not None})
        n, fps = request.n_frames, request.fps
        times = frame_times(n, fps)
        words = [w for w in request.words if w.end > w.start or w.phones]
        energy, speech = loudness_and_speech(request.features, words, n)
        curves = {name: np.zeros(n) for name in ARKIT_NAMES}
        source = self._mouth(curves, request, words, speech, energy, times, opts)
        rng = request.rng("blinks")
        starts = blink_times(n / fps, opts["blink_rate"], pauses(speech, fps), rng)
        curves["eyeBlink_L"] = curves["eyeBlink_R"] = blink_curve(times, starts, rng)
        idx = np.clip(np.arange(n), 0, request.features.n_frames - 1)
        pitch = semitones(request.features.f0[idx], request.features.voiced[idx])
        curves.update(brow_curves(times, raises(words, pitch, energy, fps), opts["brow_amount"],
                                  request.rng("brows")))
        eyes = self._eyes(curves, request, times, find_phrases(speech, fps), opts["saccades"])
        curves.update(_jaw_side(request.motion.poses[:, JAW]))
        log.debug("face from %s: %d blinks", source, len(starts))
        return FaceResult(curves=curves, jaw=JAW_OPEN_RADIANS * curves["jawOpen"], eyes=eyes,
                          source=source)

    @staticmethod
    def _mouth(curves, request, words, speech, energy, times, opts):
        """Mouth, jaw, visemes and mouth shapes into ``curves``; returns what drove them."""
        duration = request.n_frames / request.fps
        if words:
            segments = build_segments(words, duration)
            own, guessed = segments.from_words
            source = "phones" if guessed == 0 else ("words" if own == 0 else "phones and words")
        else:
            segments = audio_segments(request.features, speech, energy, request.fps, duration)
            source = "audio"
        tracks, visemes, shapes = articulate(segments, times, opts["smoothing"])
        curves.update(mouth_curves(tracks, opts["mouth_strength"]))
        curves.update(zip(VISEME_CURVES, visemes.T))
        curves.update(zip(MOUTH_SHAPE_CURVES, shapes.T))
        return source

    @staticmethod
    def _eyes(curves, request, times, phrases, amount):
        """eyeLook* curves into ``curves`` from the body's eyes, plus saccades when those are
        still; returns the saccades (T, 2) or None."""
        body_eyes = request.motion.poses[:, list(EYES)]
        eyes = None
        if amount > 0 and np.ptp(body_eyes, axis=0).max() < STILL_EYES:
            eyes = saccades(times, phrases[:, 0], request.rng("gaze"), amount)
        final = body_eyes[:, :, [1, 0]].astype(np.float64)  # (T, 2 eyes, yaw/pitch)
        if eyes is not None:
            final = final + eyes[:, None, :]
        curves.update(look_curves(final[:, 0, 0], final[:, 0, 1], final[:, 1, 0], final[:, 1, 1]))
        return eyes


def _jaw_side(jaw):
    """jawLeft / jawRight from the body's jaw rotation about y (kept from the generator)."""
    side = np.clip(np.asarray(jaw[:, 1], np.float64) / 0.15, -1.0, 1.0)
    return {"jawLeft": np.maximum(side, 0.0), "jawRight": np.maximum(-side, 0.0)}
