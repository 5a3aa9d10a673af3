"""Decode pieces of audio side by side in worker processes, with progress and a prompt stop.

    results = run_tasks(setup, work, tasks, progress, workers=2)

``setup(*args) -> state`` runs once in each process (e.g. builds a decoder, 0.3-1 s);
``work(state, task, step) -> result`` decodes one task and calls ``step(fraction)`` as it goes.
Both are module-level functions (spawned processes find them by name). pocketsphinx holds the
GIL while it decodes, so threads would not help; processes do (see :func:`default_workers`).

``progress(fraction)`` is called at least every 0.1 s with the share of the work done; when it
raises (a cancelled job), the workers are killed at once and the exception goes on: decoding
stops within a fraction of a second, whatever the length of the audio. Nothing the parent
sends can block it: a thread per worker feeds the pipe (a script's language model is
megabytes, and a worker busy setting up reads it only when ready). A worker's pipe is closed
only once its feeder has finished (a cancel stops the feeder first), and anything else that
stops a feeder (a task that cannot be sent) is raised by the dispatch loop, as is a run that
outlives its deadline: an error, never a hang.

A clean run's workers wait KEEP_SECONDS for the next run, which takes them instead of
starting processes of its own (0.2 s on two cores): an alignment's two passes share them, and
one set up for free recognition with the bundled model (a set-up without arguments) is taken
set up (0.45 s in all). Any other set-up is run again in the process it is given to. Each piece
starts from a reset front end, so a kept worker finds the words a new one would; a cancelled or
failed run stops its workers.
"""

import builtins
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import queue
import signal
import sys
import threading
import time
import traceback

from ....inference.cores import available_cores

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
MAX_WORKERS = 8
# The dispatch loop's deadline: a generous multiple of the audio's length (pocketsphinx decodes
# several times faster than real time on one core) plus the workers' start and set-up.
DEADLINE_FACTOR = 10.0
DEADLINE_BASE = 120.0  # seconds
PARALLEL_FROM = 20.0  # total task weight (seconds of audio) below which starting processes
# (0.5-1 s each) costs more than it saves: on two cores, 16 s of speech recognised as fast either
# way, 20 s 0.8 s sooner in two processes, 25-29 s 1.5-1.8 s sooner (the same words)
KEEP_SECONDS = 60.0  # a clean run's workers wait this long for the next run before they stop
_REPORT_SECONDS = 0.2  # a worker reports its progress at most this often
_QUIT = object()  # ends a feeder without sending anything


def default_workers():
    """Processes to decode with when none are asked for: one per core, and one more where there
    are two or more. A piece is decoded whole by one process, so with one per core a core whose
    process has no piece left idles while the others finish theirs (62 s in five pieces on two
    cores: 2.5 s, where the cores shared evenly would take 2.15). With one process more, the
    system shares the cores among the pieces still under way, and they end together."""
    cores = available_cores()
    return cores + 1 if cores > 1 else 1


def worker_count(requested, n_tasks):
    """How many processes to use: ``requested`` (None: :func:`default_workers`), at most one
    per task; 1 in a daemonic process, which may not start children (e.g. a batch bake's
    worker)."""
    if multiprocessing.current_process().daemon:
        return 1
    wanted = default_workers() if requested is None else int(requested)
    return max(1, min(wanted, n_tasks, MAX_WORKERS))


def run_tasks(setup, work, tasks, progress=None, workers=None, weights=None, isolate=False,
              deadline=None):
    """[work(state, task, step) for task in tasks], in task order (see the module docstring).

    setup : (function, args) run once per process. weights : the seconds of audio of each
    task, for progress and to decide whether processes pay off (1 each by default). isolate :
    work in another
    process even for a single task (unless ``workers`` is 1), because ``setup`` may take
    seconds that only killing a process can cut short. deadline : seconds the worker
    processes may take in all (default DEADLINE_BASE + DEADLINE_FACTOR x the weights);
    RuntimeError past it.
    """
    tasks = list(tasks)
    if not tasks:
        return []
    weights = [float(w) for w in weights] if weights is not None else [1.0] * len(tasks)
    n = worker_count(workers, len(tasks))
    if workers is None and sum(weights) < PARALLEL_FROM:
        n = 1
    if n <= 1 and not (isolate and workers is None and not multiprocessing.current_process().daemon):
        return _run_here(setup, work, tasks, weights, progress)
    if deadline is None:
        deadline = DEADLINE_BASE + DEADLINE_FACTOR * sum(weights)
    return _Pool(setup, work, n).run(tasks, weights, progress, deadline)


def _run_here(setup, work, tasks, weights, progress, base=0.0, total=None):
    """The tasks decoded in this process; progress from ``base`` of ``total`` weight."""
    total = total or sum(weights) or 1.0
    function, args = setup
    state = function(*args)
    results, done = [], base
    for task, weight in zip(tasks, weights):
        step = (lambda f, d=done, w=weight: progress((d + w * f) / total)) if progress else None
        results.append(work(state, task, step))
        done += weight
        if progress is not None:
            progress(done / total)
    return results


class _SetUp:
    """What a worker is told before its tasks: set up with ``setup`` (function, args) and do
    its tasks with ``work``."""

    def __init__(self, setup, work):
        self.setup, self.work = setup, work


class _Worker:
    """One spawned process, the pipe to it, and the thread that feeds the pipe."""

    def __init__(self, context):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_main, args=(child,), daemon=True,
                                       name="talkrig-speech")
        with _main_script_hidden():
            self.process.start()
        child.close()
        self.outbox = queue.Queue()
        self.stopping = threading.Event()  # set before the process is killed or told to stop
        self.failure = None  # why the feeder stopped early, for the dispatch loop to raise
        self.feeder = threading.Thread(target=self._feed, daemon=True, name="talkrig-speech-feed")
        self.feeder.start()
        self.set_up = None  # the (setup, work) it was last told
        self.index = None  # the task it works on
        self.fraction = 0.0

    def prepare(self, setup, work):
        """Tell it its set-up, unless it is set up so already by one without arguments (whose
        state is the same for every run)."""
        if self.set_up != (setup, work) or setup[1]:
            self.outbox.put(_SetUp(setup, work))
            self.set_up = (setup, work)

    def _feed(self):
        """Send what ``give`` queues until the None that ends it. The pipe stays open until this
        returns (``stop`` joins it first); a send that fails because the worker is being stopped
        (its process killed under it) ends the feeder quietly, any other failure is kept for
        the dispatch loop to raise."""
        while True:
            item = self.outbox.get()
            if item is _QUIT or self.stopping.is_set():
                return
            try:
                self.conn.send(item)
            except OSError as exc:  # the process has gone (killed, crashed) or is being stopped
                if not self.stopping.is_set() and self.process.is_alive():
                    self.failure = f"{type(exc).__name__}: {exc}"
                return
            except Exception as exc:  # e.g. a task that cannot be pickled: the worker waits for ever
                self.failure = f"{type(exc).__name__}: {exc}"
                return
            if item is None:  # the worker was told to stop
                return

    def give(self, index, task):
        self.index, self.fraction = index, 0.0
        self.outbox.put(task)

    def receive(self):
        """The next (kind, payload) message, or None when the process has died."""
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            return None

    def stop(self, wait):
        """End the process (told to stop when ``wait``, else killed), then the feeder, and only
        then close the pipe: the feeder never sends on a closed one."""
        if wait and self.process.is_alive():
            self.outbox.put(None)
            self.process.join(timeout=1)
        self.stopping.set()
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=2)
        self.outbox.put(_QUIT)
        self.feeder.join(timeout=5)  # a send under way fails at once: its reader has gone
        if self.feeder.is_alive():
            log.warning("a speech worker's feeder did not stop; its pipe is left to be collected")
            return
        self.conn.close()


_kept = []  # (worker, token): idle workers of clean runs, waiting for the next run
_kept_lock = threading.Lock()


def _take_kept(setup, work, n):
    """Up to ``n`` idle kept workers, alive and ready, those set up for (setup, work) first."""
    with _kept_lock:
        gone = [w for w, _ in _kept if not w.process.is_alive() or w.failure]
        ready = sorted((item for item in _kept if item[0] not in gone),
                       key=lambda item: item[0].set_up != (setup, work))
        _kept[:] = ready[n:]
    for worker in gone:
        worker.stop(wait=False)
    return [w for w, _ in ready[:n]]


def _keep(workers):
    """Keep ``workers`` for the next run for KEEP_SECONDS (at most :func:`default_workers` in
    all)."""
    token = object()
    with _kept_lock:
        _kept.extend((w, token) for w in workers)
        extra = _kept[:max(0, len(_kept) - default_workers())]  # the oldest go
        del _kept[:len(extra)]
    for worker, _ in extra:
        worker.stop(wait=True)
    timer = threading.Timer(KEEP_SECONDS, _expire, (token,))
    timer.daemon = True
    timer.start()


def _expire(token):
    """Stop the workers kept with ``token`` that no run has taken since."""
    with _kept_lock:
        expired = [w for w, t in _kept if t is token]
        _kept[:] = [(w, t) for w, t in _kept if t is not token]
    for worker in expired:
        worker.stop(wait=True)


def stop_kept_workers():
    """Stop every idle worker kept for a later run (a test that counts worker processes, a
    program that wants its memory back)."""
    with _kept_lock:
        kept = [w for w, _ in _kept]
        _kept.clear()
    for worker in kept:
        worker.stop(wait=True)


class _Pool:
    def __init__(self, setup, work, n):
        self.setup, self.work, self.n = setup, work, n

    def run(self, tasks, weights, progress, deadline):
        context = multiprocessing.get_context("spawn")
        total = sum(weights) or 1.0
        results = [None] * len(tasks)
        pending = sorted(range(len(tasks)), key=lambda k: -weights[k])  # longest first: the
        # workers finish closer together (results still come back in task order)
        left, done, clean = len(tasks), 0.0, False
        pool = _take_kept(self.setup, self.work, self.n)
        ends = time.monotonic() + deadline
        try:
            for worker in pool:
                worker.prepare(self.setup, self.work)
            for _ in range(self.n - len(pool)):
                pool.append(_Worker(context))
                pool[-1].prepare(self.setup, self.work)
                if progress is not None:
                    progress(0.0)
            while left:
                _check_running(pool, ends, deadline)
                for worker in pool:
                    if worker.index is None and pending:
                        k = pending.pop(0)
                        worker.give(k, tasks[k])
                busy = [w for w in pool if w.index is not None]
                ready = multiprocessing.connection.wait([w.conn for w in busy], timeout=POLL_SECONDS)
                for worker in (w for w in busy if w.conn in ready):
                    message = worker.receive()
                    if message is None:  # the process died (killed, out of memory)
                        pool.remove(worker)
                        worker.stop(wait=False)
                        log.warning("a speech worker process died (exit code %s); decoding its "
                                    "piece here", worker.process.exitcode)
                        message = ("done", _run_here(self.setup, self.work, [tasks[worker.index]],
                                                     [weights[worker.index]], progress, done, total)[0])
                    kind, payload = message
                    if kind == "progress":
                        worker.fraction = payload
                    elif kind == "error":
                        raise _failure(payload)
                    else:
                        results[worker.index] = payload
                        done += weights[worker.index]
                        worker.index = None
                        left -= 1
                if not pool and pending:
                    rest = _run_here(self.setup, self.work, [tasks[i] for i in pending],
                                     [weights[i] for i in pending], progress, done, total)
                    for i, result in zip(pending, rest):
                        results[i] = result
                    left, pending = 0, []
                if progress is not None:
                    running = sum(weights[w.index] * w.fraction for w in pool if w.index is not None)
                    progress(min(1.0, (done + running) / total))
            clean = True
            return results
        finally:
            if clean and pool:
                _keep(pool)
            else:
                for worker in pool:
                    worker.stop(wait=clean)


def _failure(payload):
    """A worker's "Type: message" raised here as that built-in exception where there is one, so
    its line reads as a failure in this process does; else a RuntimeError of the whole text."""
    name, _, message = payload.partition(": ")
    kind = getattr(builtins, name, None)
    if message and isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(message)
        except Exception:  # a built-in whose constructor wants more than a message
            pass
    return RuntimeError(payload)


def _check_running(pool, ends, deadline):
    """RuntimeError when a worker's feeder failed or the run outlived its deadline."""
    for worker in pool:
        if worker.failure:
            raise RuntimeError(f"a speech worker could not be given its work ({worker.failure})")
    if time.monotonic() > ends:
        raise RuntimeError(f"speech decoding did not finish within its deadline of {deadline:.0f} s "
                           "(a worker process stopped answering); try again with option workers=1")


_main_lock = threading.Lock()


@contextlib.contextmanager
def _main_script_hidden():
    """Start a worker without it re-running the program's main script.

    A spawned process imports the parent's ``__main__`` file (a user's script, a benchmark)
    before it starts, which runs that script's top-level code again when it has no
    ``if __name__ == "__main__"`` guard. Workers need nothing from it: hide it while the
    process is being started.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    with _main_lock:
        saved = {k: vars(main)[k] for k in ("__file__", "__spec__") if k in vars(main)}
        for key in saved:
            if key == "__spec__":
                main.__spec__ = None
            else:
                delattr(main, key)
        try:
            yield
        finally:
            for key, value in saved.items():
                setattr(main, key, value)


def _main(conn):
    """A worker process: set up as told (again whenever told), decode tasks until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops its workers on Ctrl-C
    state = work = None
    last = [0.0]

    def step(fraction):
        now = time.monotonic()
        if now - last[0] >= _REPORT_SECONDS:
            last[0] = now
            conn.send(("progress", fraction))

    for task in iter(lambda: _next_task(conn), None):
        if isinstance(task, _SetUp):
            try:
                (function, args), work = task.setup, task.work
                state = function(*args)
            except Exception as exc:
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
                return
            continue
        try:
            conn.send(("done", work(state, task, step)))
        except Exception as exc:
            log.debug("speech worker failed:\n%s", traceback.format_exc())
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


def _next_task(conn):
    """The next task from the parent; None when it says stop or has gone."""
    try:
        return conn.recv()
    except EOFError:
        return None
