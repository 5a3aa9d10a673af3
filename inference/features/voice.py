"""A learned voice detector: per frame, how likely it is that someone speaks.

The hand-made tests of :mod:`.activity` hear a voice wherever the speech band stands out of
the recording's floor and no music test fits; real music and noise pass them (a tabla loop's
pitched strokes, an electronic beat whose onsets do not repeat, a 3D printer, vinyl hiss: 0.9-1.0
of their frames heard as speech). Silero VAD, a small network trained on speech and on many
kinds of non-speech, tells them apart: at most 0.02 of those recordings' frames against 0.7-0.95
of speech in English, Spanish, Japanese and eSpeak NG's voices. Its sequence model (MIT, its LICENSE
beside it) is bundled cut in two (``tools/split_voice_model.py``): each 32 ms frame's
spectrum and convolutions (``voice_model/silero_vad_16k_frames.onnx``), then the LSTM carried
from frame to frame and the probability (``silero_vad_16k_state.onnx``). The first part is
written as matrix products over a whole block of frames (ONNX Runtime convolves a block a frame
at a time, each product too thin to be quick): 3-4x quicker than as cut, its probabilities
within 4e-6 of the whole model's, and not one frame heard otherwise on 14 recordings, each
also with noise, quieter and louder. The detector runs on one core beside the other features
(60 s: 81 -> 33-43 ms alone, the features 134 -> 73-80 ms). What is heard as speech is decided in :mod:`.activity`
(:func:`~.activity.voice_heard`).

ONNX Runtime comes with the runtime extra; without it :func:`voice_probability` returns None
and speech activity is the hand-made tests' alone.
"""

import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..audio.decode import SAMPLE_RATE
from ..onnx_runtime import onnxruntime as import_onnxruntime

log = logging.getLogger(__name__)

MODELS = Path(__file__).with_name("voice_model")
FRAMES_MODEL = MODELS / "silero_vad_16k_frames.onnx"  # input (N, 576) -> (N, 1, 128), each frame alone
STATE_MODEL = MODELS / "silero_vad_16k_state.onnx"  # (N, 1, 128), h, c -> probabilities (N,), h, c
CUT = "/Transpose_output_0"  # the name of the tensor between the two parts
FRAME, CONTEXT = 512, 64  # samples at 16 kHz: the model's frame and the earlier samples it reads with it
BLOCK = 512  # frames per call (16 s)
STATE = (1, 1, 128)


@lru_cache(maxsize=1)
def _sessions():
    """The two parts' ONNX Runtime sessions (frames, state), or None without ONNX Runtime or with
    a model file missing or unreadable (a broken install: logged once, speech activity goes on
    without it)."""
    try:
        onnxruntime = import_onnxruntime()
    except ImportError:
        log.info("onnxruntime is not installed: speech activity without the learned voice detector")
        return None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # beside the other features (compute.py), one core each
    options.inter_op_num_threads = 1
    sessions = []
    for path in (FRAMES_MODEL, STATE_MODEL):
        try:
            sessions.append(onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]))
        except Exception as exc:  # onnxruntime raises its own exception types
            log.warning("the voice detector's model %s cannot be loaded (%s): speech activity without it; "
                        "reinstall talkrig to restore it", path, str(exc).splitlines()[0] if str(exc) else exc)
            return None
    return tuple(sessions)


def voice_probability(samples, fps, n_frames):
    """(n_frames,) float32 probability of a voice at each frame (centred at f / fps s) of the
    16 kHz ``samples``, or None without ONNX Runtime."""
    stream = VoiceStream()
    if not stream.running:
        return None
    stream.add(samples, flush=True)
    return stream.probability(fps, 0, n_frames)


class VoiceStream:
    """The detector over audio that arrives piece by piece (a live stream), its state carried
    from piece to piece: each 32 ms frame's probability is the one the whole recording gives
    it (the model reads only what came before). Offline, the whole recording is one piece."""

    def __init__(self):
        self.sessions = _sessions()
        self.state = (np.zeros(STATE, np.float32), np.zeros(STATE, np.float32))
        self.context = np.zeros(CONTEXT, np.float32)
        self.pending = np.zeros(0, np.float32)  # samples of the frame still filling
        self.probs = np.zeros(0, np.float32)  # one per frame read, from frame ``first`` on
        self.first = 0

    @property
    def running(self):
        return self.sessions is not None

    def add(self, samples, flush=False):
        """Read the 16 kHz ``samples`` (the last part frame waits for more, or with ``flush``
        is read padded with silence), a block of frames at a time: memory does not grow with
        the recording, and the state is carried through the blocks in order, so every
        probability is the same."""
        x = np.concatenate([self.pending, np.asarray(samples, np.float32).reshape(-1)])
        count = -(-len(x) // FRAME) if flush else len(x) // FRAME
        self.pending = x[count * FRAME:]
        if not count or not self.running:
            return
        h, c = self.state
        probs = [self.probs]
        for first in range(0, count, BLOCK):
            (encoded,) = self.sessions[0].run(None, {"input": self._inputs(x, first, min(count, first + BLOCK))})
            p, h, c = self.sessions[1].run(None, {CUT: encoded, "h": h, "c": c})
            probs.append(np.asarray(p, np.float32).reshape(-1))
        self.state = (h, c)
        self.context = self._inputs(x, count - 1, count)[0, -CONTEXT:].copy()
        self.probs = np.concatenate(probs)

    def _inputs(self, x, first, stop):
        """(stop - first, CONTEXT + FRAME) model inputs of frames [first, stop) of ``x`` (the
        last one padded with silence), each after the CONTEXT samples before it: for frame 0,
        the end of the last frame the stream read before ``x``."""
        frames = np.zeros((stop - first, FRAME), np.float32)
        body = x[first * FRAME:stop * FRAME]
        frames.reshape(-1)[:len(body)] = body
        inputs = np.empty((stop - first, CONTEXT + FRAME), np.float32)
        inputs[:, CONTEXT:] = frames
        inputs[0, :CONTEXT] = self.context if first == 0 else x[first * FRAME - CONTEXT:first * FRAME]
        inputs[1:, :CONTEXT] = frames[:-1, -CONTEXT:]
        return inputs

    def probability(self, fps, start, n_frames):
        """(n_frames,) float32 probability at motion frames [start, start + n_frames) (the
        last frame read holds past the end of what was read)."""
        if not len(self.probs):
            return np.zeros(n_frames, np.float32)
        centres = (self.first + np.arange(len(self.probs)) + 0.5) * FRAME / SAMPLE_RATE
        return np.interp((start + np.arange(n_frames)) / fps, centres, self.probs).astype(np.float32)

    def forget(self, before):
        """Drop the probabilities of frames ending before ``before`` seconds."""
        drop = min(len(self.probs), max(0, int(before * SAMPLE_RATE / FRAME) - self.first - 1))
        self.probs, self.first = self.probs[drop:], self.first + drop
