"""The library starts of a whole take's segments at once: the path of least total cost.

Picked one segment at a time, a segment that follows its target best can leave the motion
where nothing follows on well, and the next one must join again: following a network's motion
(``neural.mocap``) that way joined twice a second, and each join jerked (the take's jerk
1.36x the speaker's; the matcher on audio 1.17x). Here every segment's candidates (its best
starts, and playing on from each candidate of the segment before) are scored together,
Viterbi-style: a segment's own cost plus, for each join, the cost of switching (the poses and
speeds that must be blended); playing on costs nothing.
"""

import numpy as np

CANDIDATES = 48  # best starts per segment, besides playing on from the segment before


def best_starts(own, switch, lengths, rng, temperature):
    """[start per segment]: the least-cost path through the segments.

    own : [(N,) cost of playing segment i from each library frame (inf where it cannot; each
    segment playable from somewhere)];
    switch : function (ends, starts) -> (len(ends), len(starts)) cost of joining a segment that
    played to library frame ``ends`` onto one starting at ``starts`` (playing on, start = end + 1,
    is free); lengths : [frames of segment i]; rng, temperature : seeded Gumbel noise on each
    candidate's own cost (another seed, another path; 0: the best path).
    """
    candidates, totals, back = [], [], []
    for i, cost in enumerate(own):
        noisy = cost - temperature * rng.gumbel(size=cost.shape) if temperature > 0 else cost
        best = _best(noisy, CANDIDATES)
        if i:
            on = candidates[-1] + lengths[i - 1]
            on = on[(on < len(cost)) & np.isfinite(cost[np.minimum(on, len(cost) - 1)])]
            best = np.unique(np.concatenate([best, on]))
        mine = noisy[best]
        if i:
            ends = candidates[-1] + lengths[i - 1] - 1
            joined = totals[-1][:, None] + switch(ends, best)
            back.append(np.argmin(joined, axis=0))
            mine = mine + joined[back[-1], np.arange(len(best))]
        candidates.append(best)
        totals.append(mine)
    path = [int(np.argmin(totals[-1]))]
    for step in reversed(back):
        path.append(int(step[path[-1]]))
    path.reverse()
    return [int(c[p]) for c, p in zip(candidates, path)]


def _best(cost, k):
    finite = np.flatnonzero(np.isfinite(cost))
    if finite.size <= k:
        return finite
    return finite[np.argpartition(cost[finite], k - 1)[:k]]
