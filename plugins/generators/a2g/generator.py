"""The Audio2Gestures generator plugin: a trained cVAE run with onnxruntime.

Per 128-frame window the audio encoder gives the shared code and the mapping net turns seeded
Gaussian noise into the motion-specific code; the decoder turns both into poses. Each window is
run with a little audio context on both sides (``CONTEXT`` frames) so the convolutions see
across the joins; the window driver blends the seams. The whole take's gestures are then
scaled up to the training speaker's pace in speech (option ``liveliness``, see
``neural.liveliness``).

Timeline control (paper §5.6): with ``clip=FILE`` (a motion file) and ``clip_at=SECONDS``, the
clip's motion-specific code (from the motion encoder) replaces the sampled one over the clip's
time range, so the generated motion takes on the clip's manner there while still following the
audio.
"""

import numpy as np

from ....inference.generation.options import Option
from ....inference.registry import PluginError
from ....motion.errors import TalkrigError
from ...neural.generator import (
    WindowedNeuralGenerator, follow_option, liveliness_option, model_option, stance_option,
)
from ...neural.layout import motion_to_vectors
from ...neural.modeldir import train_hint
from ...neural.smoothing import smooth_noise

CONTEXT = 16  # frames of audio fed on each side of a window


class Audio2GesturesGenerator(WindowedNeuralGenerator):
    name = "a2g"
    summary = ("Audio2Gestures: a conditional VAE with shared and motion-specific codes; "
               f"diverse gestures per seed; needs a model trained with `{train_hint('a2g')}`")
    stochastic = True
    model_sizes = ("window", "code")
    options = (
        model_option("a2g"),
        follow_option(),
        liveliness_option(),
        stance_option(),
        Option("clip", "path", default=None,
               help="a motion file (.npz/.bvh) whose manner to impose at clip_at (timeline control)"),
        Option("clip_at", "float", default=0.0, min=0.0,
               help="where the clip's time range starts, seconds"),
    )

    def generate_window(self, request, window):
        state = window.state
        if "model" not in state:
            model = self.load(request)
            code_dim, n = int(model.metadata["code"]), request.n_frames
            code = np.zeros((n, code_dim), np.float32)
            mask = np.zeros((n, 1), np.float32)
            if request.options.get("clip"):
                self._place_clip(model, request, code, mask)
            noise = smooth_noise(request.rng("a2g", "noise"), (n, code_dim),
                                 float(model.metadata.get("noise_frames", 0.0)))
            state.update(model=model, code=code, mask=mask, noise=noise)
        model = state["model"]
        lo = max(0, window.start - CONTEXT)
        hi = min(request.n_frames, window.stop + CONTEXT)
        span = slice(lo, hi)
        (poses,) = model.run("generate", {
            "mel": self.inputs(model, request, np.arange(lo, hi))[None],
            "noise": state["noise"][span][None],
            "code": state["code"][span][None],
            "mask": state["mask"][span][None],
        })
        keep = poses[0][window.start - lo:window.stop - lo]
        return self.to_motion(model, keep, request.fps)

    def _place_clip(self, model, request, code, mask):
        """Write the clip's motion-specific code into ``code`` and 1 into ``mask`` where it plays."""
        from ....motion import load_motion

        path = request.options["clip"]
        try:
            clip = load_motion(path)
        except TalkrigError as exc:
            raise PluginError(f"a2g option 'clip': {exc}") from None
        if abs(clip.fps - request.fps) > 1e-6:
            raise PluginError(f"a2g option 'clip': {path} is at {clip.fps:g} fps; it must be "
                              f"at {request.fps:g} fps like the generated motion")
        start = int(round(float(request.options.get("clip_at") or 0.0) * request.fps))
        if start >= request.n_frames:
            raise PluginError(f"a2g option 'clip_at' is {start / request.fps:.2f} s, past the end "
                              f"of the audio ({request.duration:.2f} s)")
        (clip_code,) = model.run("encode", {"poses": motion_to_vectors(clip, model.layout)[None]})
        stop = min(request.n_frames, start + clip.n_frames)
        code[start:stop] = clip_code[0][:stop - start]
        mask[start:stop] = 1.0
