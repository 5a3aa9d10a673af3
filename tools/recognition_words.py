"""The words free recognition searches first: those of pocketsphinx's bundled US-English
dictionary most likely under its bundled language model.

The dictionary holds 134,000 pronunciations, 72,500 of its words in the language model; the
10,000 likeliest carry 97 % of the model's unigram mass. Searching those alone takes a fifth
less CPU a second of speech and sets a decoder up in half the time, with as many words right on
the shared recordings (benchmarks/JOURNAL.md, "Recognition over the 10,000 likeliest words").
The English verdict is still made on the whole dictionary's words wherever these leave it in
doubt (inference/speech/timing.py).

    python tools/recognition_words.py plugins/speech/pocketsphinx/recognition_words.txt

Reads only the installed pocketsphinx package. The list is sorted by probability, most likely
first (ties by spelling), one word a line after a comment line naming the release it was read
from.
"""

import argparse
import os
import sys

WORDS = 10_000
UNKNOWN = -(2 ** 29)  # the log probability pocketsphinx gives a word its model does not hold


def ranked_words(count=WORDS):
    """The ``count`` words of the bundled dictionary most likely under the bundled model."""
    import pocketsphinx
    from pocketsphinx import Config, LogMath, NGramModel

    folder = os.path.join(pocketsphinx.get_model_path(), "en-us")
    model = NGramModel(Config(), LogMath(), os.path.join(folder, "en-us.lm.bin"))
    with open(os.path.join(folder, "cmudict-en-us.dict"), encoding="utf-8") as lines:
        words = sorted({line.split(" ", 1)[0].split("(", 1)[0] for line in lines if line.strip()})
    scored = [(model.prob([word]), word) for word in words]
    known = [(-score, word) for score, word in scored if score > UNKNOWN]
    return [word for _, word in sorted(known)[:count]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="the word list to write")
    parser.add_argument("--words", type=int, default=WORDS, help=f"how many (default {WORDS})")
    args = parser.parse_args(argv)
    from importlib.metadata import version

    words = ranked_words(args.words)
    with open(args.output, "w", encoding="utf-8", newline="\n") as out:
        out.write(f"# the {len(words)} words of pocketsphinx {version('pocketsphinx')}'s dictionary "
                  "most likely under its language model (tools/recognition_words.py)\n")
        out.write("\n".join(words) + "\n")
    print(f"wrote {len(words)} words to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
