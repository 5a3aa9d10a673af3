"""Keyword spotting: listen only for the words of a key-pose dictionary.

Four times less work than free recognition (0.05 x real time on one core against 0.17), but on
the shared recordings it finds 39 % of the keywords with 31 % of its hits right, where free
recognition finds 51 % with 93 % right (benchmarks/JOURNAL.md). A key pose on a word nobody
said is worse than a missed one, so free recognition stays the default; spotting is the
``mode: "keywords"`` option, for long recordings on slow machines.
"""

from ....inference.speech.words import Word
from . import decoding
from .chunks import pause_chunks
from .tasks import spotting_decoder
from .workers import run_tasks

PIECE_SECONDS = 15.0
THRESHOLD_PER_PHONE = 1e3  # a keyword of n phones is reported above 1e3 ** n
MAX_THRESHOLD = 1e9  # ... up to this: 3 phones' worth (measured best)
_ENDINGS = ("", "s", "es", "ed", "d", "ing", "er", "est")


def keyword_forms(lemmas, lookup):
    """{form: phones} of the spoken forms of ``lemmas`` the dictionary knows ("big" -> big,
    bigger, biggest): regular endings, after a doubled last consonant, y -> i or a dropped
    final e too; words shorter than three letters as they are ("i" + "s" is not a form of
    "i"). lookup(word) -> phones or None."""
    forms = {}
    for lemma in (str(x).lower().strip() for x in lemmas):
        if len(lemma) < 3:
            if lemma and lookup(lemma):
                forms[lemma] = lookup(lemma)
            continue
        stems = {lemma: _ENDINGS, lemma + lemma[-1]: _ENDINGS[1:]}
        if lemma.endswith(("y", "e")):
            stems[lemma[:-1] + ("i" if lemma.endswith("y") else "")] = _ENDINGS[1:]
        for stem, endings in stems.items():
            for ending in endings:
                phones = lookup(stem + ending)
                if phones:
                    forms[stem + ending] = phones
    return forms


def spot(audio, lemmas, progress=None, workers=None):
    """Words of ``lemmas`` (and their forms) spotted in ``audio``, confidence 1."""
    dictionary, _ = decoding.dictionary_for([])
    forms = keyword_forms(lemmas, decoding.lookup)
    if not forms:
        return []
    lines = [f"{word} /{min(MAX_THRESHOLD, THRESHOLD_PER_PHONE ** len(phones.split())):.0e}/"
             for word, phones in sorted(forms.items())]
    entries = "".join(f"{word} {phones}\n" for word, phones in sorted(forms.items()))
    pieces = pause_chunks(audio.samples, audio.sample_rate, PIECE_SECONDS)
    pcm = audio.pcm16(dither=True)
    tasks = [decoding.piece(pcm, a, b, audio.sample_rate) for a, b in pieces]
    found = run_tasks((spotting_decoder, (dictionary + entries, "\n".join(lines) + "\n")),
                      decoding.decode_piece, tasks, progress, workers,
                      weights=[(b - a) / audio.sample_rate for a, b in pieces])
    spotted = []
    for word, start, end, _ in sorted((hit for piece in found for hit in piece), key=lambda h: (h[1], -h[2])):
        if not spotted or start >= spotted[-1].end:  # "top" and "topped" heard at once: one word
            spotted.append(Word(word, start, end, 1.0))
    return spotted

