"""Speech in many languages made at test time, with its own word times as the reference.

eSpeak NG (through talkrig's own template speaker) says a script with a voice variant, rate
and pitch other than the aligner's template (the language's default voice at 175 words per
minute), and its word events give each word's onset to the sample: that is the reference
(synthetic speech; a human recording would need its own annotation). Room reverberation and
a noise bed are then added, so the aligner never sees the template's clean signal.
"""

from dataclasses import dataclass

import numpy as np

from talkrig.inference.audio.decode import decode_audio, resample
from talkrig.plugins.speech.espeak.voice import speak

RATE = 16000

# A few sentences per language: everyday talk with bilabials (p, b, m) in it.
SCRIPTS = {
    "en": "My brother promised me a map of the big old park, but maybe he simply forgot about it.",
    "de": "Mein Bruder hat mir gestern Abend eine Karte vom großen Park gebracht, aber ich habe "
          "sie im Bus vergessen.",
    "es": "Mi hermano me prometió un mapa del parque, pero probablemente lo olvidó en el bosque "
          "de Madrid.",
    "fr": "Mon père a promis de me montrer le beau parc, mais il a probablement oublié le "
          "chemin du bois.",
    "ru": "Мой брат обещал мне показать большой парк, но, может быть, он просто забыл об этом.",
    "pl": "Mój brat obiecał mi mapę parku, ale być może po prostu zapomniał o tym w pracy.",
    "ja": "わたしの あには まいばん ぱんを たべて ほんを よみます。 みなさん、 また あした。",
    "cmn": "我 爸爸 每天 早上 买 面包， 妈妈 不 喜欢 喝 咖啡。",
    "hi": "मेरे भाई ने मुझे बड़े पार्क का नक्शा दिखाने का वादा किया, पर शायद वह भूल गया।",
    "ar": "وعد أخي بأن يريني الحديقة الكبيرة، لكنه ربما نسي الطريق إلى البيت.",
    "fi": "Minun veljeni lupasi näyttää minulle ison puiston, mutta ehkä hän vain unohti sen.",
    "tr": "Babam bana büyük parkı göstermeyi söz verdi, ama belki de bunu unuttu.",
}
VARIANTS = (("+f3", 135, 70), ("+m7", 205, 35), ("+klatt2", 160, 55))  # voice, wpm, pitch


@dataclass(frozen=True)
class Revoiced:
    """audio : DecodedAudio. tokens : the script's words. onsets : each word's reference onset
    in seconds (eSpeak NG's word event), None for a token eSpeak NG did not say."""

    language: str
    audio: object
    tokens: tuple
    onsets: tuple
    bilabials: tuple  # (start, end) seconds of every bilabial phoneme said


def revoiced(language, variant=0, noise_db=-25.0, reverb_seconds=0.3, lead_seconds=0.5, seed=0,
             text=None):
    """The script of ``language`` said by voice variant ``variant`` of VARIANTS, reverberated
    (exponential tail of ``reverb_seconds`` RT60), with a brown-noise bed ``noise_db`` under the
    speech's RMS."""
    suffix, wpm, pitch = VARIANTS[variant]
    text = text or SCRIPTS[language]
    tokens = text.split()
    spoken = speak(text, language + suffix, wpm, pitch)
    scale = RATE / spoken.rate
    x = resample(spoken.samples, spoken.rate, RATE)
    rng = np.random.default_rng(seed)
    x = _reverberate(x, reverb_seconds, rng)
    lead = np.zeros(int(lead_seconds * RATE), np.float32)
    x = np.concatenate([lead, x, np.zeros(int(0.3 * RATE), np.float32)])
    level = np.sqrt(np.mean(x[np.abs(x) > 0.01] ** 2))
    x = x + _brown(rng, len(x), level * 10 ** (noise_db / 20))
    starts = np.cumsum([0] + [len(t) + 1 for t in tokens[:-1]])
    onsets = [None] * len(tokens)
    for first, _count, sample in spoken.words:
        k = int(np.searchsorted(starts, first, side="right") - 1)
        t = lead_seconds + sample * scale / RATE
        if onsets[k] is None or t < onsets[k]:
            onsets[k] = t
    bilabials = []
    for (label, at), (_, until) in zip(spoken.phones, spoken.phones[1:] + [("", len(spoken.samples))]):
        if label.strip("ˈˌː") in ("p", "b", "m", "pʰ", "bʲ", "pʲ", "mʲ", "m̩"):
            bilabials.append((lead_seconds + at * scale / RATE, lead_seconds + until * scale / RATE))
    x = 0.9 * x / np.max(np.abs(x))
    audio = decode_audio(x.astype(np.float32), sample_rate=RATE, name=f"{language}{suffix}.wav")
    return Revoiced(language, audio, tuple(tokens), tuple(onsets), tuple(bilabials))


def onset_errors(case, words):
    """(errors in seconds of the placed words that eSpeak NG said, share of those placed)."""
    assert len(words) == len(case.tokens)
    words = _in_script_order(case.tokens, words)
    said = [k for k, t in enumerate(case.onsets) if t is not None]
    placed = [k for k in said if words[k].confidence >= 0.5]
    errors = np.array([abs(words[k].start - case.onsets[k]) for k in placed])
    return errors, len(placed) / max(1, len(said))


def _in_script_order(tokens, words):
    """The Words (sorted by time) back in the script's order: each token takes the first
    remaining word with its text."""
    remaining = list(words)
    return [remaining.pop(next(i for i, w in enumerate(remaining) if w.word == token)) for token in tokens]


def _reverberate(x, rt60, rng):
    """A room: the dry signal plus a decaying noise tail (RT60 ``rt60`` s), direct path kept."""
    if rt60 <= 0:
        return x
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60) * 0.08
    tail[:int(0.005 * RATE)] = 0.0
    from scipy.signal import fftconvolve

    return (x + fftconvolve(x, tail)[:len(x)]).astype(np.float32)


def _brown(rng, n, level):
    white = rng.standard_normal(n)
    smooth = np.convolve(white, np.ones(8) / 8, mode="same")
    return (level * smooth / np.sqrt(np.mean(smooth ** 2))).astype(np.float32)


def lip_closure(case, words, fps=30.0):
    """Share of the recording's bilabials (p, b, m as eSpeak NG said them) at which the face
    stage closes the lips (ARKit mouthClose sealing the jaw, viseme PP on) within a frame."""
    from talkrig.inference.generation.face import animate_face, check_face_options, get_face_model
    from talkrig.inference.features.compute import features_for
    from talkrig.motion import Motion

    model = get_face_model("phones")
    features = features_for(case.audio, fps)
    face = animate_face(model, Motion.rest(features.n_frames, fps), words, features, 0,
                        check_face_options(model, {}))
    jaw, close = face.face_curve("jawOpen"), face.face_curve("mouthClose")
    shut = (close >= jaw - 1e-6) & (face.face_curve("viseme_PP") > 0.5)
    hits = [shut[max(0, int(s * fps) - 1):int(np.ceil(e * fps)) + 2].any() for s, e in case.bilabials]
    return float(np.mean(hits)) if hits else float("nan")


def voice_onset(samples, share=0.1, hold=0.05):
    """Seconds: where the level first holds above ``share`` of the voice's (the 95th
    percentile of 20 ms RMS frames at 100 a second) for ``hold`` seconds."""
    hop = 160
    frame_rms = np.sqrt(np.array([np.mean(samples[i:i + 2 * hop] ** 2)
                                  for i in range(0, len(samples) - 2 * hop, hop)]))
    loud = frame_rms >= share * np.percentile(frame_rms, 95)
    run = int(hold * 100)
    held = np.convolve(loud.astype(int), np.ones(run, int), "valid") == run
    return float(np.flatnonzero(held)[0]) / 100.0


def breath_before(audio, seconds=1.0, level=0.015, seed=0):
    """``audio`` after ``seconds`` of the room (hiss at 0.3 % of the voice's level) with a breath
    in it (noise of breath's band, 300-2500 Hz, swelling and fading over 0.7 s at ``level`` of
    the voice's): what a microphone hears before many a first word."""
    from scipy.signal import butter, sosfilt

    from talkrig.inference.audio.decode import DecodedAudio

    rng = np.random.default_rng(seed)
    rate = audio.sample_rate
    voice = np.percentile(np.abs(audio.samples), 99.5)
    n = int(seconds * rate)
    room = 0.003 * voice * rng.standard_normal(n)
    breath = sosfilt(butter(4, (300, 2500), "bandpass", fs=rate, output="sos"), rng.standard_normal(n))
    span = int(0.7 * rate)
    envelope = np.zeros(n)
    envelope[n - span - int(0.15 * rate):n - int(0.15 * rate)] = np.hanning(span)
    breath *= envelope * level * voice / np.sqrt(np.mean(breath[envelope > 0.5] ** 2))
    return DecodedAudio(np.concatenate([room + breath, audio.samples]).astype(np.float32), rate,
                        name=f"breath+{audio.name}")
