"""The phone symbols words carry: ARPAbet (CMUdict's 39 phones) without stress digits.

Aligners and transcripts write phones in other ways ("AH0", "ah", the IPA of Montreal Forced
Aligner's English models, eSpeak NG's IPA for every language it speaks, "sil"/"sp"/"spn" for
pauses and unknown speech); :func:`arpabet` turns a label into the symbol the face stage reads,
or None for a pause or a label it does not know. A phone of another language becomes the
English phone the mouth makes alike: what counts for lip sync is where the lips and jaw go
(a bilabial closes the lips, a rounded vowel rounds them), not the sound.
"""

import unicodedata


ARPABET = ("AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G",
           "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T",
           "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH")
_ARPABET = frozenset(ARPABET)

# Pauses, silence and "unknown speech" labels of common aligners: no phone.
PAUSES = frozenset({"", "sil", "sp", "spn", "<eps>", "<sil>", "pau", "h#", "#", "noise", "nsn"})

# IPA as Montreal Forced Aligner's English (US/UK) models write it. Length marks and
# aspiration are dropped before the lookup.
_IPA = {
    "b": "B", "d": "D", "dʒ": "JH", "f": "F", "h": "HH", "j": "Y", "k": "K", "l": "L", "ɫ": "L",
    "m": "M", "n": "N", "p": "P", "s": "S", "t": "T", "tʃ": "CH", "v": "V", "w": "W", "z": "Z",
    "ð": "DH", "ŋ": "NG", "ɡ": "G", "g": "G", "ɹ": "R", "r": "R", "ʃ": "SH", "ʒ": "ZH", "θ": "TH",
    "ɾ": "D", "ʔ": "T", "c": "K", "ɟ": "G", "ç": "HH", "ʎ": "L", "ɲ": "N", "m̩": "M", "n̩": "N",
    "l̩": "L", "ɫ̩": "L", "ɾ̃": "N",
    "æ": "AE", "ɑ": "AA", "a": "AA", "ɒ": "AA", "ɔ": "AO", "ə": "AH", "ʌ": "AH", "ɐ": "AH",
    "ɚ": "ER", "ɝ": "ER", "ɜ": "ER", "ɛ": "EH", "e": "EY", "ɪ": "IH", "i": "IY", "ʊ": "UH",
    "u": "UW", "ʉ": "UW", "o": "OW", "aj": "AY", "aɪ": "AY", "aw": "AW", "aʊ": "AW", "ej": "EY",
    "eɪ": "EY", "ow": "OW", "oʊ": "OW", "əw": "OW", "əʊ": "OW", "ɔj": "OY", "ɔɪ": "OY",
    # other languages' phones, by the English phone whose mouth they share
    "β": "B", "ɸ": "F", "ʋ": "V", "pf": "P", "bv": "B", "ts": "S", "dz": "Z", "tɕ": "CH",
    "dʑ": "JH", "tʂ": "CH", "ʈʂ": "CH", "dʐ": "JH", "ɕ": "SH", "ʑ": "ZH", "ʂ": "SH", "ʐ": "ZH",
    "x": "HH", "χ": "HH", "ħ": "HH", "ʕ": "HH", "ɦ": "HH", "ɣ": "G", "q": "K", "ɢ": "G",
    "ɴ": "NG", "ʁ": "R", "ʀ": "R", "ɻ": "R", "ɭ": "L", "ɬ": "L", "ʟ": "L", "ɳ": "N", "ʈ": "T",
    "ɖ": "D", "ʝ": "Y", "ɰ": "W", "ɥ": "W", "kh": "K", "ph": "P", "th": "T",
    "y": "UW", "ʏ": "UH", "ø": "OW", "œ": "AO", "ɶ": "AO", "ɞ": "AO", "ɯ": "IH", "ɤ": "AH",
    "ɨ": "IH", "ɵ": "UH", "ɘ": "AH", "ä": "AA", "ɑu": "AW", "au": "AW", "ai": "AY", "ei": "EY",
    "ou": "OW", "ui": "UW", "ua": "W", "iɛ": "Y", "uo": "W", "ɔø": "OY", "ɔʏ": "OY", "æy": "AE",
}
_IPA_MARKS = str.maketrans("", "", "ːˑʰʷʲ̚ˈˌ-.ᵝ̪̞̃ˤ˞")


def arpabet(label):
    """The ARPAbet symbol of a phone label ("AH0" -> "AH", "ʃ" -> "SH"), None for a pause or an
    unknown label."""
    text = str(label).strip()
    if text.lower() in PAUSES:
        return None
    symbol = text.rstrip("012").upper()
    if symbol in _ARPABET:
        return symbol
    bare = text.translate(_IPA_MARKS).rstrip("0123456789")
    found = _IPA.get(bare) or _IPA.get(_without_diacritics(bare))
    if found is None and len(bare) > 1:  # an unlisted cluster or diphthong: its first sound
        found = _IPA.get(bare[0]) or _IPA.get(_without_diacritics(bare[:2])[:1])
    return found


def _without_diacritics(text):
    """The base letters of ``text``: "ɔ̃" -> "ɔ", "e̞" -> "e" (combining marks dropped)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
