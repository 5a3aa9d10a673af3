"""The Speech2Video generator plugin: a trained LSTM run with onnxruntime.

The LSTM is streamed over the audio in chunks of ``CHUNK_SECONDS`` with its state carried
over, so there are no seams; progress is reported and cancellation checked between chunks. The
output lags the input by the trained delay (200 ms), so the features are read that far ahead
(the last frame's features are repeated past the end of the audio). Body and hand rotations are
then smoothed over time with the Gaussians the model was trained through, and scaled up to the
training speaker's pace in speech (``liveliness``, see ``neural.liveliness``). A requested
initial pose is blended in over the first 10 frames. Deterministic: the same audio always gives the
same motion.
"""

import numpy as np

from ...neural.generator import NeuralGenerator, follow_option, liveliness_option, model_option
from ...neural.modeldir import train_hint
from ...neural.smoothing import smooth_columns

CHUNK_SECONDS = 10.0


class Speech2VideoGenerator(NeuralGenerator):
    name = "s2v"
    summary = ("Speech2Video: a two-layer LSTM from speech (or word timings) to SMPL-X; needs a "
               f"model trained with `{train_hint('s2v')}`")
    stochastic = False
    model_sizes = ("layers", "hidden", "delay_frames")
    options = (model_option("s2v"), liveliness_option(), follow_option())

    def generate(self, request):
        model = self.load(request)
        meta = model.metadata
        layers, hidden, delay = int(meta["layers"]), int(meta["hidden"]), int(meta["delay_frames"])
        h = np.zeros((layers, 1, hidden), np.float32)
        c = np.zeros((layers, 1, hidden), np.float32)
        steps = request.n_frames + delay  # LSTM step s produces frame s - delay
        chunk = max(1, int(round(CHUNK_SECONDS * request.fps)))
        outputs = []
        for start in range(0, steps, chunk):
            request.check_cancelled()
            frames = np.arange(start, min(steps, start + chunk))
            (poses, h, c) = model.run("model", {
                "features": self.inputs(model, request, frames)[None], "h0": h, "c0": c})
            outputs.append(poses[0])
            request.report(frames[-1] / steps)
        vectors = np.concatenate(outputs)[delay:]
        for group in meta.get("smoothing", []):
            vectors = smooth_columns(vectors, np.asarray(group["columns"], dtype=np.int64),
                                     float(group["sigma"]))
        motion = self.livened(model, request, self.to_motion(model, vectors, request.fps))
        motion = self.finished(model, request, self.from_initial_pose(request, motion))
        request.report(1.0)
        return motion
