"""A small pool of long-lived worker processes that survives the death of one of them.

    for result in run_in_workers(tasks, work, shared, workers=2, died=on_death, warm_up=imports):
        ...

Each worker is a fresh (spawned) process: it calls ``warm_up()`` once (e.g. import bpy), then
``work(task, shared)`` for task after task sent over a pipe. Unlike ``multiprocessing.Pool``, a
worker that dies mid-task (a crash in native code, a kill) costs only that task: ``died(task,
seconds, message)`` gives its result and a new worker takes over. Workers ignore Ctrl-C; the
parent stops them.
"""

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import BakeError

# Set to see a worker's console output (Blender's, the speech engines'); silenced otherwise.
SHOW_ENV = "TALKRIG_BLENDER_OUTPUT"


@dataclass
class _Worker:
    process: object
    conn: object
    task: object = None
    started: float = 0.0
    ready: bool = False

    @property
    def busy(self):
        return self.task is not None


@dataclass
class ProcessEngine:
    """Runs a batch's tasks in ``workers`` local processes (``bake-batch --engine process``)."""

    workers: int = 1

    def run(self, tasks, work, shared, died, warm_up=None):
        """Yield ``work(task, shared)`` for every task as they finish (see run_in_workers)."""
        return run_in_workers(tasks, work, shared, int(self.workers), died, warm_up)


def run_in_workers(tasks, work, shared, workers, died, warm_up=None):
    """Yield ``work(task, shared)`` for every task, in the order they finish.

    tasks : any iterable; a task is taken from it only when a worker is free for it, so a
        generator of a million tasks is never held in memory.
    work, warm_up : module-level functions (they are pickled by name). shared : picklable data
    every task needs. died(task, seconds, message) -> the result of a task whose worker died.
    Raises BakeError when a worker cannot even start.
    """
    context = multiprocessing.get_context("spawn")
    tasks = iter(tasks)
    pool = []
    more = True
    try:
        while True:
            while more and (len(pool) < max(1, workers) or not all(w.busy for w in pool)):
                task = next(tasks, _END)
                if task is _END:
                    more = False
                    break
                _give(pool, task, lambda: _start(context, work, shared, warm_up))
            busy = [w for w in pool if w.busy]
            if not busy:
                return
            ready = multiprocessing.connection.wait(
                [w.conn for w in busy] + [w.process.sentinel for w in busy])
            for worker in busy:
                if worker.conn in ready or worker.process.sentinel in ready:
                    finished, result = _receive(worker, died)
                    if finished:
                        yield result
    finally:
        for worker in pool:
            _stop(worker)


_END = object()


def _give(pool, task, start):
    """Send ``task`` to an idle worker (replacing a dead one), else to a new one."""
    for k, worker in enumerate(pool):
        if not worker.busy:
            if not worker.process.is_alive():
                _stop(worker)
                pool[k] = worker = start()
            break
    else:
        worker = start()
        pool.append(worker)
    worker.task, worker.started = task, time.perf_counter()
    worker.conn.send(task)


def _receive(worker, died):
    """(True, result) when the worker's task is over (done, or the worker died), else
    (False, None)."""
    try:
        if worker.conn.poll():
            kind, payload = worker.conn.recv()
            if kind == "ready":
                worker.ready = True
                return False, None
            if kind == "fatal":
                raise BakeError(f"a worker process could not start: {payload}")
            worker.task = None
            return True, payload
    except (EOFError, OSError):
        pass
    worker.process.join(timeout=5)
    if worker.process.is_alive():
        return False, None
    code = worker.process.exitcode
    if not worker.ready:
        raise BakeError(f"a worker process exited while starting (exit code {code})")
    task, worker.task = worker.task, None
    return True, died(task, time.perf_counter() - worker.started,
                      f"the worker process died (exit code {code})")


def _start(context, work, shared, warm_up):
    parent, child = context.Pipe()
    process = context.Process(target=_main, args=(child, work, shared, warm_up), daemon=True,
                              name="talkrig-worker")
    with _without_blender_paths():
        process.start()
    child.close()
    return _Worker(process=process, conn=parent)


def _stop(worker):
    with contextlib.suppress(OSError, ValueError):
        if worker.process.is_alive():
            worker.conn.send(None)
            worker.process.join(timeout=2)
    if worker.process.is_alive():
        worker.process.terminate()
        worker.process.join(timeout=5)
    worker.conn.close()


def _main(conn, work, shared, warm_up):
    """A worker process: warm up once, then run tasks until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops workers on Ctrl-C
    if not os.environ.get(SHOW_ENV):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)
    try:
        if warm_up is not None:
            warm_up()
    except Exception as exc:  # the worker cannot work at all: tell the parent why
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(("result", work(task, shared)))


@contextlib.contextmanager
def _without_blender_paths():
    """Start workers with this process's sys.path minus the folders an imported bpy added.

    A spawned process gets its parent's sys.path; once bpy is imported here, that path holds
    Blender's own script folders, whose ``bpy`` package would shadow the bpy module there.
    """
    module = sys.modules.get("bpy")
    # The bpy module's folder (site-packages/bpy) holds Blender's script folders, and its bpy
    # package (scripts/modules/bpy) replaces the module once imported: take the outermost.
    folders = [p for p in Path(getattr(module, "__file__", None) or "/").resolve().parents
               if p.name == "bpy"] if module is not None else []
    if not folders:
        yield
        return
    saved = list(sys.path)
    sys.path[:] = [p for p in saved if not _is_within(p, folders[-1])]
    try:
        yield
    finally:
        sys.path[:] = saved


def _is_within(path, folder):
    try:
        Path(path).resolve().relative_to(folder)
        return True
    except (ValueError, OSError):
        return False
