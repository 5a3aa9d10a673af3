"""Pure numpy work run on a second core by a forked copy of the process.

The interpreter lock keeps a take's Python-level numpy work (many small arrays) on one core:
two threads run it no faster than one. A forked child starts with the parent's memory (a
take's plan, its features), computes its share while the parent computes the rest, and sends
its result back through a pipe. Forking is used on Linux only and never inside Blender's
application (it holds windows and GPU state); elsewhere the caller works in place. A child that fails
costs nothing but time: its work is done in place, and the result is the same either way. So
does a child that hangs (a process forked while another thread held a lock the child needs):
it is given a deadline, then stopped.
"""

import logging
import os
import pickle
import select
import signal
import sys
import time

log = logging.getLogger(__name__)

# How long a child may take once the parent waits for it: SLACK times what the parent worked
# since the fork (the child's share is about as large), plus GRACE seconds for a busy machine.
SLACK, GRACE = 4.0, 10.0


def available():
    """True where a child may be forked: Linux, more than one core to run it, not in Blender's
    own application (Blender as a Python module, headless, forks like any process: a bake job
    that has exported once goes on using both cores)."""
    from ..cores import available_cores

    return (sys.platform.startswith("linux") and hasattr(os, "fork") and not in_blender_app()
            and available_cores() > 1)


def in_blender_app():
    """True in Blender with its interface: bpy loaded, and not in the background."""
    bpy = sys.modules.get("bpy")
    return bpy is not None and not getattr(getattr(bpy, "app", None), "background", True)


def fork_work(work):
    """A :class:`Forked` running ``work()`` (no arguments, a picklable result) in a child, or
    None where :func:`available` is false or the fork fails (the caller works in place)."""
    if not available():
        return None
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(read)
        os.close(write)
        log.info("could not fork a second process (%s): working in one", exc)
        return None
    if pid == 0:
        _child(work, read, write)
    os.close(write)
    return Forked(work, pid, read)


def _child(work, read, write):
    """Run ``work`` and write its pickled result to ``write``; never returns (a child that
    returned would go on running the parent's code: a server, a command line)."""
    status = 1
    try:
        os.close(read)
        data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        status = 0
    finally:
        os._exit(status)


class Forked:
    """``work()`` running in the child ``pid``, its result to come through the pipe ``fd``."""

    def __init__(self, work, pid, fd):
        self._work, self._pid, self._fd = work, pid, fd
        self._done = False
        self._value = None
        self._forked_at = time.monotonic()

    def result(self):
        """The work's result (waits for the child; the work done in place if the child failed)."""
        if not self._done:
            self._value = self._collect()
            self._done = True
        return self._value

    def _collect(self):
        waited = time.monotonic()
        deadline = waited + SLACK * (waited - self._forked_at) + GRACE
        data = self._read_until(deadline)
        if data is None:
            self.close()
            log.warning("the second process did not answer in %.0f s: its share is done here",
                        time.monotonic() - waited)
            return self._work()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if status == 0:
            try:
                return pickle.loads(data)
            except Exception as exc:  # a truncated pickle raises any of several types
                log.warning("the second process's result could not be read (%s): working in one", exc)
        else:
            log.warning("the second process failed (exit status %d): its share is done here", status)
        return self._work()

    def _read_until(self, deadline):
        """Everything the child writes, up to its end of the pipe, or None at ``deadline``."""
        chunks, ready = [], select.poll()  # poll: a server's descriptors may pass select's 1024
        ready.register(self._fd, select.POLLIN)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not ready.poll(left * 1000.0):
                return None
            chunk = os.read(self._fd, 1 << 20)
            if not chunk:
                os.close(self._fd)
                self._fd = None
                return b"".join(chunks)
            chunks.append(chunk)

    def close(self):
        """Stop a child whose result is no longer wanted (the job was cancelled or failed)."""
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self._pid, 0)
            self._pid = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
