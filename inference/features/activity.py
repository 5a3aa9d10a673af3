"""Who is speaking when: speech activity and pauses from the audio features, robust to noise.

A frame is speech when the spectrum in the speech band (250 Hz - 4 kHz) stands out of the
recording's own noise floor. The floor is estimated per mel band (its 10th percentile over the
recording), so a steady hiss, rumble or hum is subtracted whatever its colour, and the decision
threshold sits between the levels of the quiet and the loud frames of this recording, so a
quiet or noisy recording is judged on its own scale. Hysteresis (a loud frame starts speech,
a moderately loud one continues it), bridged gaps and dropped clicks turn the frame decisions
into speech runs. Music is not speech: a spectrum that keeps its shape for MUSIC_LAG and
longer (held notes and chords), bursts that repeat one sound (laughter), or onsets on a steady
beat (drums, a melody's notes, ha-ha-ha: :func:`rhythm`, which a noise bed does not hide)
through MIN_MUSIC seconds are taken out: speech changes its sound every phone and its
syllables come at an uneven pace (:func:`music_frames`, :func:`not_speech`; read over the bands
the recording has sound in, :func:`live_bands`: a telephone's leaves half of them empty). Where the
learned voice detector has run (:mod:`.voice`, with ONNX Runtime), a frame it hears no voice in
is not speech either: real music and noise pass the tests above. Words with timings, when
known, count as speech too.

Used by the generators (phrasing), the pipeline's pause rule (calm in pauses) and the
evaluation (motion speed in pauses against speech).
"""

import weakref

import numpy as np

from ...motion.filters import percentile_filter1d
from ...motion.runs import true_runs
from ..audio.decode import SAMPLE_RATE

SPEECH_BAND = (250.0, 4000.0)  # Hz: where voices carry their energy
NOISE_PERCENTILE = 10  # per band: the recording's noise floor
QUIET_PERCENTILE, LOUD_PERCENTILE = 10, 70  # frame levels the threshold is placed between
START_SHARE, CONTINUE_SHARE = 0.3, 0.15  # threshold shares of the quiet-to-loud span
MIN_START_DB = 0.6  # a start threshold at least this far above the quiet level
SMOOTH_SECONDS = 0.15
MAX_GAP = 0.25  # seconds: shorter silences inside speech are bridged (stops, breaths)
MIN_BURST = 0.1  # seconds: shorter sounds are not speech (clicks)
MIN_PAUSE = 0.35  # seconds of silence that separate two phrases
MUSIC_LAG = 0.13  # seconds: spectra this far apart ...
MUSIC_PERSISTENCE = 0.85  # ... this alike (cosine of their shapes, averaged over a second) ...
FOREGROUND_PERSISTENCE = 0.45  # ... and their foregrounds this alike ...
MIN_MUSIC = 2.5  # ... for this long are music, not speech
HELD_PERSISTENCE = 0.95  # a held sound: spectra MUSIC_LAG apart this alike ...
HELD_FOREGROUND = 0.6  # ... and what stands above the recording's noise floor this alike
LAUGH_LAGS = (0.15, 0.35)  # seconds: one burst to the next in laughter ...
LAUGH_REPETITION = 0.95  # ... as alike as this, averaged over a second: the same sound again
RHYTHM_LAGS = (0.15, 1.0)  # seconds: beat periods of music, drums and laughter ...
RHYTHM_SECONDS = 3.0  # ... over this long ...
RHYTHM_REPETITION = 0.4  # ... at which the onset envelope repeats itself this well (speech: <= 0.30)
BEAT_SMOOTH = 0.1  # seconds: the envelope is also tested smoothed over this long ...
SMOOTH_REPETITION = 0.5  # ... at this (smoothing widens a beat's reach into what follows)
SPOKEN_REPETITION = 0.25  # a beat whose power's rises repeat less than this is under a voice ...
VOICE_SECONDS, VOICE_SHARE = 2.0, 0.2  # ... where this share of the seconds around is voiced
BURST_DEPTH = 1.5  # ln power (6.5 dB) of mean foreground under the loud frames: in a burst
FLOOR_SECONDS = 3.0  # a band's running floor: the level it keeps ...
FLOOR_PERCENTILE = 25  # ... this share of that time
LIVE_DB = 90.0  # a mel band whose loud level stays this far under the loudest band's is empty
# The learned voice detector (voice.py) vetoes a frame where its probability averaged over
# VETO_SECONDS around it stays under VETO_LEVEL: music and noise sit near 0, while a voice under
# a loud beat or hiss, which the detector doubts frame by frame, keeps a second's mean above it.
VETO_SECONDS = 1.0
VETO_LEVEL = 0.1


def band_excess(mel, sample_rate=SAMPLE_RATE):
    """(T,) dB by which each frame's speech band stands above the recording's noise floor.

    mel : (T, M) natural-log mel power (``AudioFeatures.mel``), Slaney mel bands 0..sr/2.
    The mean over speech-band mel bands of max(0, level - that band's floor).
    """
    from .spectrum import hz_to_mel, mel_to_hz

    mel = np.asarray(mel, np.float64)
    if mel.size == 0:
        return np.zeros(len(mel))
    n_mels = mel.shape[1]
    centers = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sample_rate / 2.0), n_mels + 2))[1:-1]
    band = (centers > SPEECH_BAND[0]) & (centers < SPEECH_BAND[1])
    db = mel[:, band] * (10.0 / np.log(10.0))
    floor = np.percentile(db, NOISE_PERCENTILE, axis=0)
    return np.clip(db - floor, 0.0, 40.0).mean(axis=1)


def clarity_db(samples, sample_rate=SAMPLE_RATE):
    """How far a recording's loud speech stands above its noise floor: the 90th percentile over
    20 ms-spaced frames of :func:`band_excess` (dB). Clean speech: 19-39 dB; under hiss at 20 dB
    SNR: 14 dB; at 10 dB SNR: 9 dB."""
    return clarity_and_bandwidth(samples, sample_rate)[0]


def bandwidth_hz(samples, sample_rate=SAMPLE_RATE):
    """The highest frequency a recording has sound at (Hz): the centre of its highest mel band
    that is not empty (:data:`LIVE_DB`). Recorded at 16 kHz or more: 7.4 kHz; through a
    telephone's 8 kHz: 4.0 kHz; at 11 kHz: 5.5 kHz, whatever rate it was saved at since."""
    return clarity_and_bandwidth(samples, sample_rate)[1]


def clarity_and_bandwidth(samples, sample_rate=SAMPLE_RATE):
    """(:func:`clarity_db`, :func:`bandwidth_hz`) of a recording, from one reading of its spectrum."""
    from .spectrum import hz_to_mel, mel_to_hz

    mel = _coarse_mel(samples, sample_rate)
    if not len(mel):
        return 0.0, 0.0
    live = np.flatnonzero(live_band_mask(mel))
    centers = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sample_rate / 2.0), mel.shape[1] + 2))[1:-1]
    return float(np.percentile(band_excess(mel, sample_rate), 90)), float(centers[live[-1]])


def _coarse_mel(samples, sample_rate):
    """(T, 40) log mel power of 512-point frames every 20 ms: enough to judge a whole recording."""
    from .spectrum import MEL_FLOOR, mel_filterbank, mel_power

    x = np.asarray(samples, np.float32)
    centers = np.arange(0, len(x), max(1, int(0.02 * sample_rate)))
    if not len(centers):
        return np.zeros((0, 40))
    power = mel_power(x, centers, 512, mel_filterbank(int(sample_rate), 512, 40))
    return np.log(np.maximum(power, MEL_FLOOR))


def speech_activity(features, words=None):
    """(T,) bool at the features' frame rate: someone is speaking.

    features : AudioFeatures (mel, fps; onset_strength, when there, for the rhythm test). words :
        Words with start/end seconds, or None.
    """
    fps = features.fps
    active = _voice(features).copy()
    for w in words or ():
        active[max(0, int(w.start * fps)):max(0, int(np.ceil(w.end * fps)))] = True
    active = close_gaps(active, round(MAX_GAP * fps))
    return drop_short(active, round(MIN_BURST * fps))


_VOICES = {}  # id(features) -> (weak reference, arrays read, voice): see _voice


def _voice(features):
    """(T,) bool: sounding frames that are not music, worked out once per features object (the
    pipeline, the generator and the face each ask; the music test is a tenth of a minute's
    generation). Kept beside the object while it lives, with the arrays it was read from, so
    new arrays are read anew."""
    key = (id(features.mel), features.mel.shape)
    hit = _VOICES.get(id(features))
    if hit is not None and hit[0]() is features and hit[1] == key:
        return hit[2]
    active = sounding(features)
    active &= ~_music(features, active)
    if getattr(features, "voice", None) is not None:
        active &= voice_heard(features.voice, features.fps)
    try:
        ref = weakref.ref(features, lambda _, k=id(features): _VOICES.pop(k, None))
    except TypeError:  # an object that cannot be referred to weakly: read every time
        return active
    _VOICES[id(features)] = (ref, key, active)
    return active


def voice_heard(probability, fps):
    """(T,) bool: frames the learned voice detector's ``probability`` (T,) does not veto
    (VETO_SECONDS, VETO_LEVEL)."""
    return moving_average(probability, round(VETO_SECONDS * fps)) >= VETO_LEVEL


def sounding(features):
    """(T,) bool: frames whose speech band stands out of the recording's noise floor (speech,
    or music, laughter: :func:`speech_activity` before the music is taken out)."""
    excess = moving_average(band_excess(features.mel, features.sample_rate), round(SMOOTH_SECONDS * features.fps))
    active = np.zeros(features.n_frames, bool)
    if features.n_frames:
        quiet, loud = np.percentile(excess, [QUIET_PERCENTILE, LOUD_PERCENTILE])
        span = max(loud - quiet, MIN_START_DB / START_SHARE)
        start = excess > quiet + START_SHARE * span
        keep = excess > quiet + CONTINUE_SHARE * span
        for a, b in true_runs(keep):
            if start[a:b].any():
                active[a:b] = True
    return active


def not_speech(features):
    """(T,) bool: frames of music, laughter or a steady beat (:func:`music_frames`): nobody
    speaks there, whatever a recogniser hears in them."""
    return _music(features, sounding(features))


def _music(features, sounding_frames):
    """(T,) bool: the music frames ``features`` already carry (a live stream's, found once), or
    :func:`music_frames` of them."""
    known = getattr(features, "music", None)
    if known is not None:
        return np.asarray(known, bool)
    return music_frames(features.mel, features.fps, sounding_frames, getattr(features, "onset_strength", None),
                        getattr(features, "voiced", None))


def music_frames(mel, fps, sounding, onsets=None, voiced=None):
    """(T,) bool: frames inside runs of at least MIN_MUSIC seconds of sound that is not speech.

    Music keeps its spectral shape from one moment to the next (MUSIC_PERSISTENCE over
    MUSIC_LAG), and so does the foreground left when each band's running floor (the level it
    keeps FLOOR_PERCENTILE of FLOOR_SECONDS) is taken off (FOREGROUND_PERSISTENCE); speech
    under a steady noise bed keeps the bed's shape but not the foreground's: speech changes its
    sound every phone. Laughter repeats one sound: the foreground of a burst frame matches one
    0.15-0.35 s on (LAUGH_REPETITION). A beat repeats itself: the onset envelope of a drum
    loop, a melody or a laugh matches itself one beat on (:func:`rhythm`); speech's syllables
    come at an uneven pace, whatever the language. Under a loud noise bed two things change:
    a chord held for seconds lifts its bands' running floor into itself, so its foreground
    comes and goes, but what stands above the recording's own floor (the bed) keeps its shape
    (HELD_PERSISTENCE, HELD_FOREGROUND); and the bed's flicker fills the onset envelope between
    the beats, which the envelope smoothed over BEAT_SMOOTH no longer holds (SMOOTH_REPETITION:
    higher, since smoothing makes any envelope look more regular).

    mel : (T, M) log-mel. sounding : (T,) bool frames with sound in them. onsets : (T,) onset
    envelope (``AudioFeatures.onset_strength``), or None (no rhythm test). voiced : (T,) bool
    frames the pitch tracker finds voiced, or None: a beat under a voice (:func:`spoken_over`)
    is then not music.
    """
    mel = live_bands(np.asarray(mel, np.float64))
    n = len(mel)
    lag = max(1, round(MUSIC_LAG * fps))
    if n <= lag:
        return np.zeros(n, bool)
    sounding = np.asarray(sounding, bool)
    fore = np.maximum(mel - running_floor(mel, fps), 0.0)
    window = round(fps)
    whole, foreground = _shape(mel), _shape(fore)
    persistence = _mean_alike([lag], whole, sounding, window)
    music = (persistence > MUSIC_PERSISTENCE) & \
        (_mean_alike([lag], foreground, sounding, window) > FOREGROUND_PERSISTENCE)
    # a sound held for seconds raises its bands' running floor into itself; above the
    # recording's own floor (its quietest frames: the noise bed) it still keeps its shape
    above = _shape(np.maximum(mel - np.percentile(mel, NOISE_PERCENTILE, axis=0), 0.0))
    music |= (persistence > HELD_PERSISTENCE) & (_mean_alike([lag], above, sounding, window) > HELD_FOREGROUND)
    strength = fore.mean(axis=1)
    top = np.percentile(strength[sounding], 90) if sounding.any() else 0.0
    bursts = sounding & (strength > top - BURST_DEPTH)  # the loud part of each burst
    lags = range(max(1, round(LAUGH_LAGS[0] * fps)), round(LAUGH_LAGS[1] * fps) + 1)
    laughter = _mean_alike(lags, foreground, bursts, window) > LAUGH_REPETITION
    share = moving_average(sounding, window)
    shortest = round(MIN_MUSIC * fps)
    found = drop_short((music | laughter) & (share > 0.3), shortest)
    if onsets is None:
        return found
    # a beat is heard through the quiet between its notes too; under a loud noise bed the
    # envelope flickers from frame to frame, which BEAT_SMOOTH seconds of smoothing calm
    onsets = np.asarray(onsets, np.float64)
    beat = (rhythm(onsets, fps) > RHYTHM_REPETITION) | \
        (rhythm(moving_average(onsets, round(BEAT_SMOOTH * fps)), fps) > SMOOTH_REPETITION)
    if voiced is not None:
        beat &= ~spoken_over(mel, fps, voiced)
    return found | drop_short(beat, shortest)


def live_bands(mel):
    """``mel`` (T, M) log power with the bands the recording leaves empty taken out: those whose
    loud level (90th percentile) stays LIVE_DB under the loudest band's. A recording made at 8 or
    11 kHz (a telephone, old game dialogue) and resampled has nothing above 4 or 5.5 kHz; those
    bands at the floor are a third of every frame's spectrum, the same in every frame, and made
    all of a lecture's frames alike enough to be taken for a held chord (none heard as speech).
    A recording with sound in every band comes back as it is."""
    live = live_band_mask(mel)
    return mel if live.all() else mel[:, live]


def live_band_mask(mel):
    """(M,) bool: the bands of a log-mel (T, M) that are not empty (:func:`live_bands`)."""
    if not mel.size:
        return np.ones(mel.shape[-1], bool)
    loud = np.percentile(mel, 90, axis=0) * (10.0 / np.log(10.0))
    return loud >= loud.max() - LIVE_DB


def spoken_over(mel, fps, voiced):
    """(T,) bool: a beat here is under a voice, so the frame is speech (a voice-over with music
    under it). The onset envelope is a mean of decibel rises over the bands, in which a drum 10
    dB under a voice counts as much as the voice's own onsets; the rises of the spectrum's
    *power* are the loudest sound's. Spoken over: the power's rises keep no beat (``rhythm``
    under SPOKEN_REPETITION) in the RHYTHM_SECONDS before the frame nor in those after it (so
    the last notes of music just before a voice, whose centred window would reach into the
    voice, keep their beat), and the pitch tracker finds a voice in VOICE_SHARE of the
    VOICE_SECONDS around."""
    power = np.exp(np.asarray(mel, np.float64))
    rises = np.zeros(len(power))
    rises[1:] = np.maximum(np.diff(power, axis=0), 0.0).sum(axis=1)
    kept = np.maximum(rhythm(rises, fps, side=-1), rhythm(rises, fps, side=1))
    voice = moving_average(np.asarray(voiced, np.float64), round(VOICE_SECONDS * fps))
    return (kept < SPOKEN_REPETITION) & (voice >= VOICE_SHARE)


def rhythm(onsets, fps, side=0):
    """(T,) how well the onset envelope repeats itself a beat on and two beats on: over lags
    of RHYTHM_LAGS, the best of the lesser of the envelope's normalised autocorrelations at
    one lag and at twice it (a steady beat repeats at every multiple of its period; speech's
    syllables, at an uneven pace, seldom at both), the envelope less its local mean, in a
    triangular window RHYTHM_SECONDS wide around each frame (near frames weigh most, so a
    beat's last notes reach little into the speech after it). Drums, a melody's notes and
    ha-ha-ha give 0.5-1; speech held 0.30 at most through 2.5 s (benchmarks/JOURNAL.md).
    side : -1 or 1 reads a window of the RHYTHM_SECONDS before or after each frame instead
    (uniform weights), which does not reach across a change of sound at the frame."""
    env = np.asarray(onsets, np.float64)
    n = len(env)
    lags = range(max(1, round(RHYTHM_LAGS[0] * fps)), round(RHYTHM_LAGS[1] * fps) + 1)
    best = np.zeros(n)
    if n <= 2 * lags.start:
        return best
    half = round(RHYTHM_SECONDS * fps / 2)

    def local(x):  # window mean along the last axis, over the frames there are (no edge padding)
        if side:
            return _one_sided(x, 2 * half, side) / np.maximum(_one_sided(np.ones(n), 2 * half, side), 1e-12)
        return _box(_box(x, half), half) / np.maximum(_box(_box(np.ones(n), half), half), 1e-12)

    e = env - local(env)
    power = local(e * e)
    lags = np.array([lag for lag in lags if 2 * lag < n])
    if not len(lags):
        return best
    every = np.union1d(lags, 2 * lags)  # each lag's autocorrelation, all at once: (lags, T)
    at = np.arange(n)
    ahead = np.minimum(at[None, :] + every[:, None], n - 1)
    inside = at[None, :] < n - every[:, None]
    pair = np.where(inside, e[None, :] * e[ahead], 0.0)
    later = np.where(inside, power[ahead], power[-1])
    alike = local(pair) / np.maximum(np.sqrt(power[None, :] * later), 1e-12)
    row = {int(lag): k for k, lag in enumerate(every)}
    one, two = alike[[row[int(lag)] for lag in lags]], alike[[row[int(2 * lag)] for lag in lags]]
    return np.maximum(best, np.minimum(one, two).max(axis=0))


def _box(x, frames):
    """Sum over ``frames`` frames (made odd) centred on each frame, zeros beyond the ends (a
    window longer than ``x`` too); along the last axis."""
    half = max(1, int(frames) | 1) // 2
    x = np.asarray(x)
    total = np.concatenate([np.zeros(x.shape[:-1] + (1,)), np.cumsum(x, axis=-1)], axis=-1)
    n = x.shape[-1]
    at = np.arange(n)
    return total[..., np.minimum(n, at + half + 1)] - total[..., np.maximum(0, at - half)]


def _one_sided(x, frames, side):
    """Sum over the ``frames`` frames up to each frame (side -1) or from it on (side 1), along
    the last axis."""
    x = np.asarray(x)
    total = np.concatenate([np.zeros(x.shape[:-1] + (1,)), np.cumsum(x, axis=-1)], axis=-1)
    n = x.shape[-1]
    at = np.arange(n)
    if side < 0:
        return total[..., at + 1] - total[..., np.maximum(0, at + 1 - frames)]
    return total[..., np.minimum(n, at + frames)] - total[..., at]


def _shape(spectra):
    """(T, M) each frame's spectrum less its mean, of unit length: its shape, not its level."""
    shape = spectra - spectra.mean(axis=1, keepdims=True)
    return shape / (np.linalg.norm(shape, axis=1, keepdims=True) + 1e-9)


def running_floor(mel, fps):
    """(T, M) each band's level that FLOOR_PERCENTILE of the FLOOR_SECONDS around a frame stay
    under (computed every 0.1 s and interpolated: a percentile filter is slow)."""
    step = max(1, round(0.1 * fps))
    coarse = mel[:len(mel) // step * step].reshape(-1, step, mel.shape[1]).mean(axis=1) \
        if len(mel) >= step else mel[:1]
    size = max(3, round(FLOOR_SECONDS * fps / step))
    low = percentile_filter1d(coarse, FLOOR_PERCENTILE, size, axis=0, mode="nearest")
    at = (np.arange(len(low)) + 0.5) * step
    frames = np.arange(len(mel))
    return np.stack([np.interp(frames, at, low[:, m]) for m in range(mel.shape[1])], axis=1)


def _mean_alike(lags, shape, mask, window):
    """(T,) how alike each frame's spectral shape is to the best of those ``lags`` frames on
    (cosine), over the pairs of ``mask`` frames, averaged over ``window`` frames."""
    n = len(shape)
    best, valid = np.zeros(n), np.zeros(n, bool)
    for lag in lags:
        if lag >= n:
            continue
        both = mask[:-lag] & mask[lag:]
        alike = np.clip((shape[:-lag] * shape[lag:]).sum(axis=1), 0.0, 1.0)
        best[:-lag] = np.where(both, np.maximum(best[:-lag], alike), best[:-lag])
        valid[:-lag] |= both
    weight = valid.astype(np.float64)
    return moving_average(best * weight, window) / np.maximum(moving_average(weight, window), 1e-9)


def loudness_and_speech(features, words, n_frames):
    """What a listener hears at each of ``n_frames`` frames of the features' rate (a shorter
    recording repeats its last frame): energy (T,) loudness, 0 = silence, ~1 = loud speech (the
    95th percentile), and speech (T,) bool (:func:`speech_activity`)."""
    return loudness(features, n_frames), speech_at(features, words, n_frames)


def speech_at(features, words, n_frames):
    """(n_frames,) bool :func:`speech_activity` at each of ``n_frames`` frames of the features'
    rate (a shorter recording repeats its last frame)."""
    idx = np.clip(np.arange(n_frames), 0, max(0, features.n_frames - 1))
    return speech_activity(features, words)[idx]


def loudness(features, n_frames):
    """(n_frames,) energy track: RMS over its 95th percentile, 0 (silence) .. 1.5, held at the end
    (also what a live stream recomputes as it hears more)."""
    idx = np.clip(np.arange(n_frames), 0, max(0, features.n_frames - 1))
    rms = np.asarray(features.rms, np.float64)[idx]
    scale = np.percentile(rms, 95) if rms.size else 0.0
    return np.clip(rms / scale, 0.0, 1.5) if scale > 1e-6 else np.zeros(n_frames)


def phrases(speaking, fps, min_pause=MIN_PAUSE):
    """(P, 2) start, end seconds of phrases: speech runs joined across pauses under
    ``min_pause`` seconds."""
    joined = close_gaps(np.asarray(speaking, bool), round(min_pause * fps))
    return np.array([(a / fps, b / fps) for a, b in true_runs(joined)], dtype=np.float64).reshape(-1, 2)


def pause_weight(speaking, fps, min_pause=MIN_PAUSE, ramp=0.3):
    """(T,) 0 in speech, rising to 1 inside pauses of at least ``min_pause`` seconds.

    The weight eases in over ``ramp`` seconds after the speech stops and back out over the
    same time before it starts again, so a short pause only dips.
    """
    speaking = np.asarray(speaking, bool)
    n = len(speaking)
    weight = np.zeros(n)
    r = max(1.0, ramp * fps)
    for a, b in true_runs(~speaking):
        if b - a < min_pause * fps:
            continue
        k = np.arange(a, b)
        # distance to the speech on either side (a pause at the ends has speech on one side)
        before = k - a + 1 if a > 0 else np.full(len(k), np.inf)
        after = b - k if b < n else np.full(len(k), np.inf)
        u = np.clip(np.minimum(before, after) / r, 0.0, 1.0)
        weight[a:b] = u * u * (3.0 - 2.0 * u)
    return weight


def close_gaps(mask, max_gap):
    """A copy with False runs of at most ``max_gap`` frames between True runs set True."""
    mask = np.array(mask, bool, copy=True)
    for start, stop in true_runs(~mask):
        if start > 0 and stop < len(mask) and stop - start <= max_gap:
            mask[start:stop] = True
    return mask


def drop_short(mask, min_len):
    """A copy with True runs shorter than ``min_len`` frames set False."""
    mask = np.array(mask, bool, copy=True)
    for start, stop in true_runs(mask):
        if stop - start < min_len:
            mask[start:stop] = False
    return mask


def moving_average(x, frames):
    """Centred moving average over ``frames`` frames (made odd), edges held."""
    frames = max(1, int(frames) | 1)
    x = np.asarray(x, np.float64)
    if frames == 1 or len(x) == 0:
        return x
    pad = frames // 2
    return np.convolve(np.pad(x, pad, mode="edge"), np.ones(frames) / frames, mode="valid")
