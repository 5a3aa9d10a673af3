"""The words an engine found in the last few recordings, kept in the process: a second take of
the same line (another seed, another generator, the add-on's Generate pressed again) skips the
engine, which is most of a take's wait without a timed transcript (4 s of recognition on a
minute of speech, where the take itself is 0.6 s). Jobs that need the same words at the same
time (a batch of seeds of one line, sent together) wait for the one that is finding them
instead of each running the engine.

An engine's words are taken to depend on the sound it hears, the script and its options only:
the built-in engines are deterministic by design (pocketsphinx's dither is seeded, each piece
starts from a reset front end), so what is kept is what the engine would find again.
"""

import copy
import json
import threading

from ..cache import LruCache

KEPT = 16  # recordings' results kept: a few hundred words each
POLL_SECONDS = 0.1  # how often a job waiting for another's words checks that it is still wanted


class RecentWords:
    """The last ``size`` engine results (the words, with what the engine said of them); each
    caller gets its own copy."""

    def __init__(self, size=KEPT):
        self._kept = LruCache(size)
        self._finding = {}  # key -> threading.Event set when its finder is done
        self._lock = threading.Lock()

    @staticmethod
    def key(plugin, audio, transcript, options):
        """What an engine's words depend on: the engine, the sound, the script, the options."""
        return (getattr(plugin, "name", ""), type(plugin).__module__, type(plugin).__qualname__,
                audio.hash, transcript, json.dumps(options, sort_keys=True, default=repr))

    def get(self, key):
        """A copy of the result kept under ``key``, or None."""
        found = self._kept.get(key)
        return None if found is None else copy.deepcopy(found)

    def put(self, key, found):
        self._kept.put(key, copy.deepcopy(found))

    def clear(self):
        self._kept.clear()

    def found(self, key, find, waiting=None):
        """A copy of the result under ``key``: one kept, else the one another thread is finding
        (waited for; ``waiting()`` is called meanwhile and may raise to stop waiting), else
        ``find()``'s, kept. A finder that fails leaves the next caller to try for itself."""
        while True:
            with self._lock:
                kept = self.get(key)
                if kept is not None:
                    return kept
                done = self._finding.get(key)
                if done is None:
                    done = self._finding[key] = threading.Event()
                    break
            while not done.wait(POLL_SECONDS):
                if waiting is not None:
                    waiting()
        try:
            found = find()
            self.put(key, found)
            return copy.deepcopy(found)
        finally:
            with self._lock:
                del self._finding[key]
            done.set()
