"""Where recognised words agree with the script: the anchors of an alignment.

Two word sequences (what the recogniser heard, what the script says) are matched through the
three-word phrases they share, chained in order by a longest increasing subsequence. This is
O(n log n), so a script of a hundred thousand words is matched as fast as a short one, and a
phrase said twice or a sentence missing on either side only breaks the chain locally.
A recogniser biased toward the script also makes up short runs of it where someone else's
words are spoken: only runs of :data:`STRONG_RUN` words or more prove that the script belongs to
the recording.
"""

import bisect
from collections import defaultdict

from ....motion.runs import label_runs

PHRASE = 3  # words per shared phrase
STRONG_RUN = 5  # a run this long is not chance (chance runs of 3-4 words were measured)
_MAX_PLACES = 64  # a phrase found more often than this in the script says nothing about where


def matched_pairs(heard, script, phrase=PHRASE, step=None):
    """[(i, j)] with heard[i] == script[j], increasing in both i and j: the words of the longest
    chain of shared phrases of ``phrase`` words (fewer for very short scripts)."""
    n = max(1, min(phrase, len(script), len(heard)))
    places = defaultdict(list)
    for j in range(len(script) - n + 1):
        places[tuple(script[j:j + n])].append(j)
        if step is not None and j % 5000 == 0:
            step()
    candidates = []
    for i in range(len(heard) - n + 1):
        found = places.get(tuple(heard[i:i + n]), ())
        if len(found) <= _MAX_PLACES:
            candidates.extend((i, j) for j in found)
    chain = _longest_chain(candidates)
    pairs = sorted({(i + k, j + k) for i, j in chain for k in range(n)})
    return _increasing(pairs)


def runs(pairs):
    """The pairs cut into runs of consecutive words on both sides: [[(i, j), ...], ...]."""
    # the k-th pair follows the one before on both sides when i - k and j - k stay the same
    diagonals = [(i - k, j - k) for k, (i, j) in enumerate(pairs)]
    return [list(pairs[a:b]) for a, b, _ in label_runs(diagonals)]


def belongs(pairs, n_script):
    """True when the matches prove the script is this recording's: a run of STRONG_RUN words
    (or the whole of a shorter script)."""
    need = min(STRONG_RUN, n_script)
    return any(len(run) >= need for run in runs(pairs))


def _longest_chain(candidates):
    """The longest subsequence of (i, j) candidates increasing strictly in both i and j."""
    candidates.sort(key=lambda p: (p[0], -p[1]))
    tails, tail_index, previous = [], [], [None] * len(candidates)
    for k, (_, j) in enumerate(candidates):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_index.append(k)
        else:
            tails[pos] = j
            tail_index[pos] = k
        previous[k] = tail_index[pos - 1] if pos else None
    chain, k = [], tail_index[-1] if tail_index else None
    while k is not None:
        chain.append(candidates[k])
        k = previous[k]
    return chain[::-1]


def _increasing(pairs):
    """Drop pairs that break strict increase in j (overlapping phrases of a repeated word)."""
    out = []
    for i, j in pairs:
        if not out or (i > out[-1][0] and j > out[-1][1]):
            out.append((i, j))
    return out
