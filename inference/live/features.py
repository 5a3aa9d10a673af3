"""Audio features of a live stream, computed incrementally as the audio arrives.

Offline, features are computed once over the whole recording (features.compute_features).
Live, the same function runs again and again over the newest part of the audio only: each
update recomputes the frames from a little before the last final frame to the end of what was
heard (with PAD_SECONDS of earlier audio so every window and filter has its context) and
splices them into the frames kept so far. Frames closer to the end than the look-ahead are
provisional and are recomputed by the next update.

The level is set the offline way (audio.loudness_gain, kept up to date by RunningLoudness) but
from everything heard so far: a stream cannot know how loud the rest of the recording will be.
"""

import numpy as np

from ...motion.container import frame_count
from ..audio.decode import GATE_FRAME, RunningLoudness
from ..audio.decode import SAMPLE_RATE
from ..features.compute import AudioFeatures, compute_features
from ..features.voice import VoiceStream

PAD_SECONDS = 0.5  # earlier audio recomputed with each update: windows and onset filters fit
KEEP_SECONDS = 30.0  # audio and frames kept (what a generator may look back at, and more)
_TRACKS = ("mel", "mfcc", "onset_strength", "rms", "f0", "voiced")


class LiveFeatures:
    """Features of the 16 kHz mono audio heard so far, at ``fps``, updated in place.

    Frame f is centred on f / fps seconds, as offline. Old audio and frames are dropped past
    KEEP_SECONDS; frame numbers stay global (counted from the start of the stream).
    """

    def __init__(self, fps):
        self.fps = float(fps)
        self.hop = SAMPLE_RATE / self.fps
        self.audio = np.zeros(0, np.float32)
        self.audio_start = 0  # global sample index of audio[0]
        self.n_samples = 0  # samples heard in all
        self.tracks = None  # name -> array of frames [frame_start, frame_start + len)
        self.frame_start = 0
        self.onsets = np.zeros(0)  # seconds, global
        self.gate = int(round(GATE_FRAME * SAMPLE_RATE))
        self.loudness = RunningLoudness()  # over each complete GATE_FRAME of the stream
        self.partial = np.zeros(0, np.float32)  # samples of the gate frame still filling
        self.gain = None
        self.voice = VoiceStream()  # the voice detector reads each sample once, its state carried
        self.voice_read = 0  # global index of the first sample it has not read

    @property
    def duration(self):
        return self.n_samples / SAMPLE_RATE

    @property
    def n_frames(self):
        """Frames computed so far (the last ones provisional)."""
        return self.frame_start + (0 if self.tracks is None else len(self.tracks["rms"]))

    def add(self, samples):
        """Append (N,) float samples at 16 kHz (-1..1)."""
        x = np.asarray(samples, np.float32).reshape(-1)
        if not x.size:
            return
        self.audio = np.concatenate([self.audio, x])
        self.n_samples += len(x)
        held = np.concatenate([self.partial, x])
        whole = (len(held) // self.gate) * self.gate
        if whole:
            self.loudness.add(np.mean(np.square(held[:whole].reshape(-1, self.gate), dtype=np.float64), axis=1))
        self.partial = held[whole:]
        gain = self.loudness.gain()
        if gain is not None:
            self.gain = gain
        excess = len(self.audio) - int(KEEP_SECONDS * SAMPLE_RATE)
        if excess > 0:
            self.audio = self.audio[excess:]
            self.audio_start += excess

    def update(self, final):
        """Recompute the frames from ``final`` (the first frame not yet handed out) to the end
        of the audio heard, with PAD_SECONDS of earlier audio as context."""
        splice = max(self.frame_start, min(final, self.n_frames))
        first = max(self.audio_start_frame(), splice - int(round(PAD_SECONDS * self.fps)))
        s0 = int(round(first * self.hop))
        segment = self.audio[s0 - self.audio_start:]
        total = frame_count(self.duration, self.fps)
        if segment.size == 0 or total <= splice:
            return
        gain = np.float32(self.gain if self.gain is not None else 1.0)
        x = segment * gain
        part = compute_features(x, SAMPLE_RATE, self.fps, normalize=False, voice=False)
        skip, n = splice - first, min(part.n_frames, total - first)
        keep = splice - self.frame_start
        if self.tracks is None:
            self.tracks = {name: getattr(part, name)[skip:n].copy() for name in _TRACKS}
        else:
            for name in _TRACKS:
                self.tracks[name] = np.concatenate([self.tracks[name][:keep], getattr(part, name)[skip:n]])
        self._read_voice(gain)
        t_splice, t0 = splice / self.fps, s0 / SAMPLE_RATE
        self.onsets = np.concatenate([self.onsets[self.onsets < t_splice],
                                      part.onset_times[part.onset_times + t0 >= t_splice] + t0])
        self._trim()

    def _read_voice(self, gain):
        """Give the voice detector the samples heard since it last read, and its track the
        frames held (none without ONNX Runtime)."""
        if not self.voice.running:
            return
        self.voice.add(self.audio[max(0, self.voice_read - self.audio_start):] * gain)
        self.voice_read = self.audio_start + len(self.audio)
        self.tracks["voice"] = self.voice.probability(self.fps, self.frame_start, len(self.tracks["rms"]))

    def audio_start_frame(self):
        """First frame whose centre is inside the audio still kept."""
        return int(np.ceil(self.audio_start / self.hop))

    def window(self, start, stop=None):
        """AudioFeatures of global frames [start, stop) with times relative to frame ``start``."""
        stop = self.n_frames if stop is None else min(stop, self.n_frames)
        lo, hi = start - self.frame_start, stop - self.frame_start
        if lo < 0 or hi <= lo:
            raise ValueError(f"frames [{start}, {stop}) are not held (held from {self.frame_start} "
                             f"to {self.n_frames})")
        t0 = start / self.fps
        onsets = self.onsets[(self.onsets >= t0) & (self.onsets < stop / self.fps)] - t0
        return AudioFeatures(fps=self.fps, sample_rate=SAMPLE_RATE, duration=(stop - start) / self.fps,
                             onset_times=onsets, **{name: track[lo:hi] for name, track in self.tracks.items()})

    def _trim(self):
        excess = len(self.tracks["rms"]) - int(KEEP_SECONDS * self.fps)
        if excess > 0:
            self.tracks = {name: value[excess:] for name, value in self.tracks.items()}
            self.frame_start += excess
            self.voice.forget(self.frame_start / self.fps)
            self.onsets = self.onsets[self.onsets >= self.frame_start / self.fps]
