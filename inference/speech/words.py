"""Words with their times: what speech plugins return, key poses are triggered by and the face
stage reads phones from."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Phone:
    """One phone inside a word.

    phone : ARPAbet symbol without stress digits ("AA", "M", "SIL" is never used here).
    start, end : seconds from the start of the audio, start <= end, inside the word.
    """

    phone: str
    start: float
    end: float

    def to_dict(self):
        return {"phone": self.phone, "start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, data):
        return cls(str(data["phone"]), float(data["start"]), float(data["end"]))


@dataclass(frozen=True)
class Word:
    """One spoken word.

    word : the text as spoken (original case; compare with ``.lower()``).
    start, end : seconds from the start of the audio, start <= end.
    confidence : 0..1 (1.0 aligned or read from a timed transcript; below 1 recognised,
        uncertain, or interpolated between placed neighbours).
    phones : the word's phones with their times (a tuple of Phone), empty when the engine
        gives none.
    """

    word: str
    start: float
    end: float
    confidence: float = 1.0
    phones: tuple = ()

    def to_dict(self):
        data = {"word": self.word, "start": self.start, "end": self.end,
                "confidence": self.confidence}
        if self.phones:
            data["phones"] = [p.to_dict() for p in self.phones]
        return data

    @classmethod
    def from_dict(cls, data):
        phones = tuple(Phone.from_dict(p) for p in data.get("phones") or ())
        return cls(str(data["word"]), float(data["start"]), float(data["end"]),
                   float(data.get("confidence", 1.0)), phones)


def words_to_json(words):
    """A JSON-ready list of {"word", "start", "end", "confidence"[, "phones"]} dicts."""
    return [w.to_dict() for w in words]


def words_from_json(items):
    """Words from a list of dicts as :func:`words_to_json` writes them."""
    return [Word.from_dict(item) for item in items]
