"""Which language a voice-over is in: the codes users type, and a guess from a script's text.

Codes are eSpeak NG's (ISO 639-1 where there is one: "de", "es", "fr", "ru", "ja"; "cmn" for
Mandarin, "yue" for Cantonese; a region after a hyphen: "en-us", "pt-br"). "auto" leaves the
choice to the script (:func:`guess_language`) or, without one, to the recogniser.
"""

import functools
import re
import unicodedata

from ...motion.errors import TalkrigError

AUTO = "auto"
ENGLISH = "en"
ALIASES = {"zh": "cmn", "zh-cn": "cmn", "mandarin": "cmn", "cantonese": "yue", "iw": "he",
           "nb": "no", "english": "en", "german": "de", "deutsch": "de", "spanish": "es",
           "french": "fr", "russian": "ru", "japanese": "ja", "chinese": "cmn", "hindi": "hi",
           "arabic": "ar", "polish": "pl", "finnish": "fi", "turkish": "tr", "italian": "it",
           "portuguese": "pt", "dutch": "nl"}
_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")

# Unicode scripts that name one language (or its most spoken one) outright.
_SCRIPTS = (("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("HANGUL", "ko"), ("CJK", "cmn"),
            ("CYRILLIC", "ru"), ("GREEK", "el"), ("ARABIC", "ar"), ("HEBREW", "he"),
            ("DEVANAGARI", "hi"), ("BENGALI", "bn"), ("TAMIL", "ta"), ("TELUGU", "te"),
            ("THAI", "th"), ("GEORGIAN", "ka"), ("ARMENIAN", "hy"), ("GUJARATI", "gu"),
            ("GURMUKHI", "pa"), ("KANNADA", "kn"), ("MALAYALAM", "ml"), ("SINHALA", "si"))

# The most frequent short words of languages written in Latin letters: a script's language is
# the one whose words it uses most (at least MIN_HITS of them, and clearly more than the next).
_COMMON = {
    "en": "the and of to a in is that it you was for on are with as i be at have this but not "
          "they we he she my your from or by",
    "de": "der die das und ist nicht ich sie es ein eine zu den mit von auf für dem wir auch "
          "sich des im aber wie oder mein dass",
    "es": "el la de que y en los las un una es por con para no se su al lo como pero más mi me",
    "fr": "le la les de des et est un une que qui dans pour pas sur au du ce il elle je nous "
          "vous avec mais mon",
    "it": "il la di che e è un una per non con del della sono gli le mi ma come anche questo",
    "pt": "o a de que e do da em um uma para com não os as no na por mais mas meu se",
    "nl": "de het een en van is dat niet ik je op te met zijn voor maar wat er ook",
    "pl": "i w nie na się że z do to jest jak ale o co mi tak po już być",
    "tr": "ve bir bu da de ne için ama çok ben sen o mi ile gibi daha var",
    "fi": "ja on ei se että hän minä sinä oli mutta kun niin myös vain ole tämä",
    "sv": "och att det som en är på av för med jag inte till den har om",
}
_WORDS = {lang: frozenset(text.split()) for lang, text in _COMMON.items()}
MIN_HITS = 2
GUESS_CHARACTERS = 20_000  # of a script its language is guessed from (pages of text)


class LanguageError(TalkrigError):
    """A language code eSpeak NG does not speak."""


def normalise(language):
    """``language`` as a lower-case code ("DE" -> "de", "zh" -> "cmn"); "auto" for None or "".
    LanguageError for text that is not a language code."""
    text = str(language or AUTO).strip().lower().replace("_", "-")
    text = ALIASES.get(text, text)
    if text != AUTO and not _CODE.match(text):
        raise LanguageError(f"language must be 'auto' or a code such as de, es, fr, ja, cmn, "
                            f"got {language!r}")
    return text


def is_english(language):
    return normalise(language).split("-")[0] == ENGLISH


def base(language):
    """"pt-br" -> "pt": the language without its region (key-pose dictionaries are per language)."""
    return normalise(language).split("-")[0]


def guess_language(text):
    """The language a script is written in ("de", "ja", ...), or "" when the text does not say."""
    text = str(text)[:GUESS_CHARACTERS]
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return ""
    counts = {}
    for c in letters:
        lang = _script_language(c)
        if lang:
            counts[lang] = counts.get(lang, 0) + 1
    if counts:
        lang, n = max(counts.items(), key=lambda item: item[1])
        if n >= len(letters) / 3:
            if lang == "cmn" and counts.get("ja"):
                return "ja"  # kanji with kana is Japanese
            return _refine(lang, text)
    words = re.findall(r"\w+", text.lower())
    hits = {lang: sum(w in common for w in words) for lang, common in _WORDS.items()}
    ranked = sorted(hits.items(), key=lambda item: -item[1])
    (best, n), (_, second) = ranked[0], ranked[1]
    if n >= MIN_HITS and n >= 1.5 * second:
        return best
    return ""


@functools.lru_cache(maxsize=4096)
def _script_language(c):
    """The language a letter's script says ("ja" for kana, ...), or "" (Latin among others):
    a page of text holds a few dozen distinct letters, each named once."""
    name = unicodedata.name(c, "")
    return next((lang for script, lang in _SCRIPTS if name.startswith(script)), "")


def words_language(language, transcript=None):
    """The language the words of a take are in, for its key poses: the one named, else the
    script's (told from its text, English when it does not say), else English (the
    recogniser's, which gives no words for speech that is not English)."""
    code = normalise(language)
    if code != AUTO:
        return base(code)
    return guess_language(transcript or "") or ENGLISH


def _refine(lang, text):
    """Languages sharing a script, told apart by their own letters."""
    if lang == "ru" and re.search(r"[іїєґ]", text.lower()):
        return "uk"
    if lang == "ar" and re.search(r"[پچژگ]", text):
        return "fa"
    return lang
