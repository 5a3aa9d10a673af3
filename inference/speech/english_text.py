"""English text rules: from a written script to the words a pronouncing dictionary knows,
keeping the user's words (used by the pocketsphinx aligner and the phones face model).

An aligner needs lower-case dictionary words; the user wants back the words they wrote
("5", "Hello,", "rock-and-roll"). Each written token becomes one or more spoken words
(numbers are read out, hyphenated words split), and the times of those spoken words are
joined back onto the token. Words the dictionary lacks ("yknow") get a pronunciation built from
dictionary pieces and letter rules, which is close enough to time them.
"""

import re
import unicodedata

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
            "nine": "ninth", "twelve": "twelfth"}
_SYMBOLS = {"&": "and", "%": "percent", "+": "plus", "@": "at", "=": "equals"}
_CURRENCIES = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
               "€": ("euro", "euros", "cent", "cents")}
# Abbreviations read as words (written with or without the full stop).
_ABBREVIATIONS = {"dr": ["doctor"], "mr": ["mister"], "mrs": ["missus"], "ms": ["miz"],
                  "prof": ["professor"], "jr": ["junior"], "sr": ["senior"], "st": ["saint"],
                  "mt": ["mount"], "vs": ["versus"], "etc": ["et", "cetera"], "approx": ["approximately"],
                  "e.g": ["for", "example"], "i.e": ["that", "is"]}
_ALWAYS_SHORT = ("vs", "etc", "dr", "mr", "mrs")  # abbreviations even without the full stop
# Hesitations however they are spelt ("ummm", "uhh", "hmmm", "erm"): the dictionary's word.
_FILLERS = ((re.compile(r"u+h+m+|u+m+|e+r+m+"), "um"), (re.compile(r"u+h+"), "uh"),
            (re.compile(r"h+m+"), "hmm"), (re.compile(r"m+h+m+"), "mhm"), (re.compile(r"a+h+"), "ah"))


def tokenize(script):
    """The written tokens of ``script`` that carry speech (pure punctuation dropped)."""
    return list(iter_tokens(script))


def iter_tokens(script):
    """:func:`tokenize` one token at a time (a long script is read with progress)."""
    return (t for t in script.replace("\u2019", "'").split() if _spoken_core(t))


def spoken_words(token):
    """The lower-case words a written token is spoken as: "5" -> ["five"], "Don't," -> ["don't"],
    "rock-and-roll" -> ["rock", "and", "roll"], "$20" -> ["twenty", "dollars"], "Dr." ->
    ["doctor"], "1990s" -> ["nineteen", "nineties"], "Ummm," -> ["um"]."""
    core = _spoken_core(token).lower()
    abbreviation = _ABBREVIATIONS.get(core.rstrip("."))
    written_short = token.rstrip(",;:!?").endswith(".") or core.rstrip(".") in _ALWAYS_SHORT
    if abbreviation and written_short:
        return list(abbreviation)
    words = []
    for part in re.split(r"[/\u2013\u2014_]+|(?<=\w)-(?=\w|\$)", core):
        part = part.strip("'")
        if not part:
            continue
        if part in _SYMBOLS:
            words.append(_SYMBOLS[part])
        elif re.fullmatch(r"-?[$£€]?\d[\d,]*(\.\d+)?%?", part):
            words.extend(_read_number(part))
        elif re.fullmatch(r"\d+(st|nd|rd|th)", part):
            words.extend(_ordinal(number_words(int(re.sub(r"\D", "", part)))))
        elif re.fullmatch(r"'?\d+0s", part):
            words.extend(_decade(part.strip("'")))
        elif re.fullmatch(r"\d{1,2}:\d\d", part):
            hours, minutes = (int(x) for x in part.split(":"))
            words.extend(number_words(hours) + (["o'clock"] if minutes == 0 else
                                                 (["oh"] if minutes < 10 else []) + number_words(minutes)))
        elif re.fullmatch(r"\d{1,2}[ap]\.?m\.?", part):  # 5pm, 5p.m.
            hour = int(re.match(r"\d+", part).group())
            words.extend(number_words(hour) + ["a" if "a" in part else "p", "m"])
        elif any(pattern.fullmatch(part) for pattern, _ in _FILLERS):
            words.append(next(word for pattern, word in _FILLERS if pattern.fullmatch(part)))
        else:
            for piece in re.findall(r"[a-z']+|\d+", part):
                piece = piece.strip("'")
                if piece.isdigit():
                    words.extend(number_words(int(piece)))
                elif piece:
                    words.append(piece)
    return words


def number_words(n):
    """English words for a whole number >= 0: 1204 -> ["one", "thousand", "two", "hundred", "four"]."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    for scale, name in _SCALES:
        if n >= scale:
            head, rest = divmod(n, scale)
            return number_words(head) + [name] + (number_words(rest) if rest else [])
    return [str(n)]  # unreachable: every n >= 100 has a scale


def _year_words(n):
    """1990 -> nineteen ninety, 2005 -> two thousand five, 1900 -> nineteen hundred."""
    if 2000 <= n < 2010:
        return number_words(n)
    high, low = divmod(n, 100)
    if low == 0:
        return number_words(high) + ["hundred"]
    return number_words(high) + (["oh"] + number_words(low) if low < 10 else number_words(low))


def _read_number(text):
    """Words for "1990", "-3", "3.5%", "$5.50", "£20", "1,250"."""
    negative = text.startswith("-")
    text = text.lstrip("-")
    currency = _CURRENCIES.get(text[:1])
    percent = text.endswith("%")
    digits = text.strip("$£€%").replace(",", "")
    whole, _, fraction = digits.partition(".")
    value = int(whole or 0)
    plain = not (currency or percent or fraction or "," in text or negative)
    if plain and len(whole) == 4 and 1100 <= value < 2100:
        words = _year_words(value)
    else:
        words = number_words(value)
    if currency and len(fraction) == 2:  # $5.50: five dollars fifty (cents)
        unit, units, _, _ = currency
        words.append(unit if value == 1 else units)
        cents = number_words(int(fraction)) if int(fraction) else []
        return (["minus"] if negative else []) + words + cents
    if fraction:
        words += ["point"] + [_ONES[int(d)] for d in fraction]
    if percent:
        words.append("percent")
    if currency:
        words.append(currency[0] if value == 1 and not fraction else currency[1])
    return (["minus"] if negative else []) + words


def _decade(text):
    """ "1990s" -> nineteen nineties, "90s" -> nineties, "2000s" -> two thousands."""
    value = int(text[:-1])
    words = _year_words(value) if value >= 1000 else number_words(value)
    return _plural(words)


def _plural(words):
    last = words[-1]
    if last.endswith("y"):
        return words[:-1] + [last[:-1] + "ies"]
    if last == "oh":
        return words
    return words[:-1] + [last + ("es" if last.endswith("x") else "s")]


def _ordinal(words):
    last = words[-1]
    if last in _ORDINAL:
        return words[:-1] + [_ORDINAL[last]]
    if last.endswith("y"):
        return words[:-1] + [last[:-1] + "ieth"]
    return words[:-1] + [last + "th"]


def _plain_letters(text):
    """Accents taken off letters ("café" -> "cafe"); other characters kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _spoken_core(token):
    """The token without surrounding punctuation (keeps $, £, €, % and a leading minus that
    are read aloud, and the inner full stops of "e.g."), accents taken off its letters."""
    token = _plain_letters(token)
    core = re.sub(r"^[^\w$£€&@-]+|[^\w%'&@]+$", "", token.replace("\u2019", "'"))
    core = re.sub(r"^-+(?!\d)", "", core)
    return core


# --- pronunciations for words missing from the dictionary ------------------------------------

# Longest spelling first; a few context rules are handled in _letters_to_phones.
_GRAPHEMES = [
    ("tch", "CH"), ("sch", "S K"), ("igh", "AY"), ("ough", "AO"), ("eau", "OW"),
    ("ch", "CH"), ("sh", "SH"), ("th", "TH"), ("ph", "F"), ("wh", "W"), ("ck", "K"),
    ("ng", "NG"), ("qu", "K W"), ("gh", ""), ("ee", "IY"), ("ea", "IY"), ("oo", "UW"),
    ("ou", "AW"), ("ow", "OW"), ("ai", "EY"), ("ay", "EY"), ("oi", "OY"), ("oy", "OY"),
    ("au", "AO"), ("aw", "AO"), ("ie", "IY"), ("ei", "EY"), ("ey", "IY"), ("oa", "OW"),
    ("ue", "UW"), ("ew", "UW"), ("er", "ER"), ("ir", "ER"), ("ur", "ER"), ("ar", "AA R"),
    ("or", "AO R"),
    ("a", "AE"), ("e", "EH"), ("i", "IH"), ("o", "AA"), ("u", "AH"),
    ("b", "B"), ("c", "K"), ("d", "D"), ("f", "F"), ("g", "G"), ("h", "HH"), ("j", "JH"),
    ("k", "K"), ("l", "L"), ("m", "M"), ("n", "N"), ("p", "P"), ("q", "K"), ("r", "R"),
    ("s", "S"), ("t", "T"), ("v", "V"), ("w", "W"), ("x", "K S"), ("z", "Z"),
]


def _letters_to_phones(letters, at_start=True, at_end=True):
    """ARPAbet phones for a spelling by simple English letter rules (a rough guess)."""
    text = re.sub(r"(.)\1+", r"\1", letters.lower().replace("'", ""))
    if at_start and text.startswith(("kn", "wr", "gn")):
        text = text[1:]
    if at_end and len(text) > 2 and text.endswith("e") and text[-2] not in "aeiouy":
        text = text[:-1]  # silent final e
    phones, i = [], 0
    while i < len(text):
        if text[i] == "y":
            consonant_y = (i == 0 and at_start) or (i + 1 < len(text) and text[i + 1] in "aeiou")
            phones.append("Y" if consonant_y else "IY")
            i += 1
            continue
        if text[i] == "c" and i + 1 < len(text) and text[i + 1] in "eiy":
            phones.append("S")
            i += 1
            continue
        for spelling, sound in _GRAPHEMES:
            if text.startswith(spelling, i):
                if sound:
                    phones.append(sound)
                i += len(spelling)
                break
        else:
            i += 1  # a letter with no sound of its own (accents, digits already read)
    return " ".join(phones).split()


def guess_pronunciation(word, lookup):
    """ARPAbet phones (a string) for ``word`` missing from the dictionary.

    lookup(piece) -> "PH ON ES" or None. The word is cut into the fewest dictionary pieces of
    three letters or more ("yknow" = "y" + "know"); what no piece covers is read by letter rules.
    """
    text = word.lower()
    n = len(text)
    inf = float("inf")
    cost = [0.0] + [inf] * n  # best cost of text[:i]
    choice = [None] * (n + 1)
    for end in range(1, n + 1):
        for start in range(end):
            piece = text[start:end]
            if len(piece) >= 3 and lookup(piece):
                step = 1.0
                kind = "dict"
            else:
                step = 0.5 + 2.0 * len(piece)  # one run of letters, not many
                kind = "rules"
            if cost[start] + step < cost[end]:
                cost[end] = cost[start] + step
                choice[end] = (start, kind)
    phones, end = [], n
    pieces = []
    while end > 0:
        start, kind = choice[end]
        pieces.append((start, end, kind))
        end = start
    for start, end, kind in reversed(pieces):
        piece = text[start:end]
        if kind == "dict":
            phones.extend(lookup(piece).split())
        else:
            phones.extend(_letters_to_phones(piece, at_start=start == 0, at_end=end == n))
    return " ".join(phones) or "AH"
