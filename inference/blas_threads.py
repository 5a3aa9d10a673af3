"""One BLAS thread while audio features and takes are computed: the same take on every machine
and through every path, and no second core spent waiting.

numpy's OpenBLAS splits a large product (the features' mel filterbank) over one thread per core,
and the split changes the rounding of the sums: with two threads the mel features differed from
one thread's in their last bits (up to 1e-6), and a procedural take made from them could differ
too (the acoustic corpus, seed 2). So `talkrig generate` on two cores and the server (one BLAS
thread per job, ``commands/serve.py``) made different takes of the same seed, and a take depended
on the machine's number of cores. After each product OpenBLAS's helper threads also spin for a
while: about 0.2 s of a core per minute of speech, beside a take's own second process.

A product whose bits reach a take or a word's time goes through :func:`matmul` wherever it is
called from (`talkrig words` aligns without ``generate``); ``generate`` holds the limit for
the whole take besides, for the products of the generators.

The setting is process-wide, so holders are counted: the first sets it, the last gives the old
setting back, and jobs side by side in threads share it. threadpoolctl lets only one thread at a
time change OpenBLAS's shared pool: where the last job to leave is not the thread that set the
limit, the pool stays on one thread (still the same takes). Without threadpoolctl (it comes with
the runtime extra) nothing is limited.
"""

import threading
from contextlib import contextmanager
from functools import lru_cache

_lock = threading.Lock()
_holders = 0
_held = None  # the limit in force while anyone holds it


@contextmanager
def one_blas_thread():
    """Run the block with BLAS on one thread: each BLAS library loaded when this was first
    used (numpy's among them) is held to one thread."""
    global _holders, _held
    with _lock:
        if _holders == 0:
            controller = _controller()
            if controller is not None:  # entered and left as a context: the pool's control is let go
                _held = controller.limit(limits=1, user_api="blas").__enter__()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _held is not None:
                _held.__exit__(None, None, None)
                _held = None


def matmul(a, b):
    """``a @ b`` on one BLAS thread (a few microseconds to hold it where no one does)."""
    with one_blas_thread():
        return a @ b


@lru_cache(maxsize=1)
def _controller():
    """threadpoolctl's view of the BLAS libraries loaded now (numpy's among them: it is loaded
    with numpy), found once (0.7 ms), or None without threadpoolctl."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()
