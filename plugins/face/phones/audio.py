"""A mouth from the voice alone, when no words are known: each frame is given a stand-in phone
from loudness, voicing and where the spectrum's energy lies, and those run through the same
coarticulation as real phones.

- silence: rest;
- unvoiced hiss: high (4.5-8 kHz) -> s, middle-high (2.5-4.5 kHz) -> sh (rounded), else a
  neutral consonant;
- quiet voiced murmur between louder stretches (a hum with the energy low in the spectrum, as
  in m, b and the closure before a voiced stop) -> closed lips;
- voiced and loud: a vowel, relative to this speaker's own spread: dark (oo, oh: little energy
  above 2.5 kHz against below 0.9 kHz, the lips rounded), open (aa: much energy at 0.9-2.5 kHz,
  the first formant high) or spread (ee, eh), the jaw opening with the loudness.

This is a rough reading of the sound, not recognition: lips close in hums and pauses, open
with loud vowels and round on dark vowels, which is what matters on screen.
"""

import numpy as np

from ....inference.audio.decode import SAMPLE_RATE
from ....inference.features.spectrum import hz_to_mel, mel_to_hz
from ....motion.runs import label_runs
from .segments import segments_from_rows

BANDS = {"low": (100, 900), "mid": (900, 2500), "high": (2500, 4500), "hiss": (4500, 8000)}
MIN_RUN = 2  # frames: shorter stand-in phones are folded into a neighbour


def band_energies(mel, sample_rate=SAMPLE_RATE):
    """{band: (T,) power} from a (T, M) log-mel spectrogram (Slaney bands 0..sr/2)."""
    n_mels = mel.shape[1]
    edges = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sample_rate / 2.0), n_mels + 2))
    centres = edges[1:-1]
    power = np.exp(np.asarray(mel, np.float64))
    return {name: power[:, (centres >= lo) & (centres < hi)].sum(1) for name, (lo, hi) in BANDS.items()}


def stand_in_phones(features, speech, energy):
    """(T,) ARPAbet stand-ins ("" for silence) for each frame (see the module doc)."""
    bands = band_energies(features.mel, features.sample_rate)
    n = len(speech)
    idx = np.clip(np.arange(n), 0, max(0, features.mel.shape[0] - 1))
    total = sum(bands.values())[idx] + 1e-12
    low, mid, high, hiss = (bands[k][idx] / total for k in ("low", "mid", "high", "hiss"))
    voiced = np.asarray(features.voiced, bool)[idx]
    labels = np.full(n, "", dtype=object)
    vowel = speech & voiced & (energy >= 0.3)
    if vowel.any():
        # dark (rounded) vowels have little energy high up; open ones much in 0.9-2.5 kHz
        bright = np.log((high + 1e-12) / (low + 1e-12))
        open_ = mid / np.maximum(low + mid, 1e-12)
        dark_q = np.percentile(bright[vowel], 30)
        rounded = vowel & (bright <= dark_q)
        rest = vowel & ~rounded
        open_q = np.percentile(open_[rest], 50) if rest.any() else np.inf
        loud = energy >= 0.6
        labels[rounded] = np.where(loud[rounded], "AO", "UW")
        wide = rest & (open_ >= open_q)
        labels[wide] = np.where(loud[wide], "AA", "AH")
        spread = rest & (open_ < open_q)
        labels[spread] = np.where(loud[spread], "EH", "IY")
    murmur = speech & voiced & (energy < 0.3)
    labels[murmur] = np.where(low[murmur] > 0.6, "M", "N")
    hushed = speech & ~voiced
    labels[hushed] = "K"
    labels[hushed & (hiss > 0.35)] = "S"
    labels[hushed & (high > 0.35) & (hiss <= 0.35)] = "SH"
    return labels


def audio_segments(features, speech, energy, fps, duration):
    """Segments of stand-in phones for a recording without words."""
    labels = stand_in_phones(features, speech, energy)
    runs = _hums_between_vowels(_fold_short([list(run) for run in label_runs(labels)]))
    rows, loudness = [], []
    energy = np.asarray(energy, np.float64)
    for start, stop, label in runs:
        if label:  # the run's mean loudness, in plain floats (np.mean's sum; hundreds of runs a minute)
            rows.append((label, start / fps, stop / fps))
            loudness.append(min(max(float(energy[start:stop].sum()) / (stop - start) / 0.6, 0.5), 1.3))
    return segments_from_rows(rows, duration, loudness=loudness)


VOWEL_STAND_INS = ("AO", "UW", "EH", "IY", "AA", "AH")


def _hums_between_vowels(runs):
    """A hum closes the lips only between two vowels (else it is a fading voice: an n)."""
    for i, run in enumerate(runs):
        if run[2] != "M":
            continue
        before = i > 0 and runs[i - 1][2] in VOWEL_STAND_INS
        after = i + 1 < len(runs) and runs[i + 1][2] in VOWEL_STAND_INS
        if not (before and after):
            run[2] = "N"
    return runs


def _fold_short(runs):
    """Runs shorter than MIN_RUN frames join the longer neighbour (closures are kept: a hum
    of one frame between two loud vowels is a real closure)."""
    out = []
    for run in runs:
        short = run[1] - run[0] < MIN_RUN and run[2] not in ("M", "")
        if short and out:
            out[-1][1] = run[1]
        else:
            out.append(run)
    return out
