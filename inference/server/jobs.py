"""Jobs off the event loop: a bounded queue, a pool of worker threads, cancel and expiry.

One runner for every kind of job: the work is a parameter (``work(payload, progress,
cancelled)``; the payload is whatever it takes: a :class:`Submission` of audio or a video with
its options, a render request), so generation, capture and render share the queue, the life
cycle and the status, and the runner is tested with stand-ins. Threads, not processes: models
and feature caches loaded by one job serve the next, and the numeric work releases the GIL. An
exception in a job fails that job only.
"""

import errno
import functools
import logging
import math
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

from ...motion.errors import TalkrigError
from ..progress import JobCancelled, stage_spans
from .logs import kv

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
FINISHED = frozenset({DONE, FAILED, CANCELLED})
# a write the disk cannot hold: full, over quota, or past the size limit of a file
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class QueueFull(TalkrigError):
    """Every worker is busy and the queue holds as many jobs as allowed."""

    def __init__(self, message, retry_after):
        super().__init__(message)
        self.retry_after = retry_after


class UnknownJob(TalkrigError):
    """No such job id (never created, or finished and already freed), or nothing of that kind
    to fetch from it (a words-only job's motion)."""


class ResultNotReady(TalkrigError):
    """The job has no result: it is still queued or running, failed, or was cancelled."""


@dataclass
class Submission:
    """The payload of work that takes a subject and its options (generation: the decoded audio
    and GenerateOptions; capture: the uploaded video and CaptureOptions)."""

    subject: object
    options: object


def with_options(function):
    """``function(subject, options, progress=, cancelled=)`` as a work function of
    :class:`Submission` payloads (the pipeline's contract and the capture's)."""

    def work(submission, progress, cancelled):
        return function(submission.subject, submission.options, progress=progress,
                        cancelled=cancelled)

    return work


@dataclass
class Job:
    id: str
    payload: object  # what the work function takes; dropped once the job has run
    label: str = ""
    seconds: float | None = None  # how long the speech or take is, when known
    backend: str | None = None
    seed: int | None = None
    state: str = QUEUED
    stage: str = QUEUED
    progress: float = 0.0
    error: str = ""
    result: object = None  # what to_result made of the work's output
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    finished_mono: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)


_STAGE_SPANS = stage_spans()


def stage_progress(stage, progress):
    """How far the current stage is (0..1), from the overall progress; None for other stages."""
    span = _STAGE_SPANS.get(stage)
    if span is None or span[1] <= 0:
        return None
    start, share = span
    return round(min(1.0, max(0.0, (progress - start) / share)), 4)


class JobRunner:
    """Queue + worker threads + finished-job store with a time-to-live.

    work : ``work(payload, progress, cancelled)``, run in a worker thread for each job.
    workers : threads running jobs at once.
    queue_depth : jobs allowed to wait beyond the idle workers; more raise QueueFull.
    result_ttl : seconds a finished job stays readable before it is freed.
    to_result : turns the work's return value into what :meth:`result` hands back (default:
        the value itself), in the worker thread.
    """

    def __init__(self, work, workers=1, queue_depth=8, result_ttl=600.0, to_result=None):
        self._work = work
        self._to_result = to_result or (lambda output: output)
        self.workers = int(workers)
        self.queue_depth = int(queue_depth)
        self.result_ttl = float(result_ttl)
        self._jobs = {}
        self._queue = deque()
        self._running = 0
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._ended = threading.Condition(self._lock)  # notified whenever a job ends
        self._closing = threading.Event()
        self.accepting = True  # False once the server is told to stop (set from a signal handler)
        self._threads = []
        self._recent_seconds = deque(maxlen=20)
        self._counts = dict.fromkeys(STATES, 0)

    # -- life cycle ---------------------------------------------------------------------------

    def start(self):
        if self._threads:
            return self
        for i in range(self.workers):
            thread = threading.Thread(target=self._serve_jobs, name=f"talkrig-job-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        janitor = threading.Thread(target=self._sweep_forever, name="talkrig-jobs-expiry", daemon=True)
        janitor.start()
        self._threads.append(janitor)
        return self

    def stop_accepting(self):
        """Refuse new jobs from now on (QueueFull, 503); safe to call from a signal handler."""
        self.accepting = False

    def close(self, timeout=10.0):
        """Cancel everything: queued jobs at once, running ones at their next boundary."""
        with self._lock:
            self._closing.set()
            while self._queue:
                self._finish(self._queue.popleft(), CANCELLED, error="the server is shutting down")
            for job in self._jobs.values():
                if job.state == RUNNING:
                    job.cancel.set()
            self._wake.notify_all()
            self._ended.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = []

    # -- API used by the app ------------------------------------------------------------------

    def submit(self, payload, label="", seconds=None, backend=None, seed=None):
        """Queue a job of ``payload`` (what the work function takes); returns its snapshot.
        Raises QueueFull when there is no room.

        label : named in the log. seconds : how long the speech or take is (status
        ``audio_seconds``). backend, seed : shown in the status and the log (generation).
        """
        self.sweep()
        with self._lock:
            self._check_room()
            job = Job(id=uuid.uuid4().hex, payload=payload, label=label, seconds=seconds,
                      backend=backend, seed=seed)
            self._jobs[job.id] = job
            self._queue.append(job)
            self._counts[QUEUED] += 1
            self._wake.notify()
            return self._snapshot(job)

    def check_room(self):
        """Raise QueueFull now if a submit would be refused (before the upload is decoded)."""
        with self._lock:
            self._check_room()

    def status(self, job_id, wait=0.0):
        """The job's snapshot; with ``wait`` seconds, given when the job ends or the wait is
        over, whichever comes first: a client that asks again at once then learns of the end
        as it happens, where one that polls every quarter second learned of it 0.125 s late on
        average."""
        with self._lock:
            job = self._get(job_id)
            ends = time.monotonic() + max(0.0, float(wait))
            while job.state not in FINISHED and not self._closing.is_set():
                left = ends - time.monotonic()
                if left <= 0:
                    break
                self._ended.wait(left)
            return self._snapshot(job)

    def result(self, job_id):
        """What a done job made (see to_result); ResultNotReady explains why there is none
        otherwise."""
        with self._lock:
            job = self._get(job_id)
            if job.state == DONE:
                return job.result
            if job.state == FAILED:
                raise ResultNotReady(f"job {job_id} failed: {job.error}")
            if job.state == CANCELLED:
                raise ResultNotReady(f"job {job_id} was cancelled")
            raise ResultNotReady(
                f"job {job_id} is {job.state} (stage {job.stage}, {job.progress:.0%}); "
                "poll GET /v1/jobs/{id} until its state is done")

    def cancel(self, job_id):
        """Stop a job; calling it again, or on a finished job, changes nothing."""
        with self._lock:
            job = self._get(job_id)
            if job.state == QUEUED:
                self._queue.remove(job)
                self._finish(job, CANCELLED)
            elif job.state == RUNNING and not job.cancel.is_set():
                job.cancel.set()
                log.info(kv("job-cancel-requested", id=job.id, stage=job.stage))
            return self._snapshot(job)

    def stats(self):
        with self._lock:
            return {
                "workers": self.workers,
                "running": self._running,
                "queued": len(self._queue),
                "queue_depth": self.queue_depth,
                "kept": sum(1 for j in self._jobs.values() if j.state in FINISHED),
                "result_ttl": self.result_ttl,
                "totals": {"submitted": self._counts[QUEUED], DONE: self._counts[DONE],
                           FAILED: self._counts[FAILED], CANCELLED: self._counts[CANCELLED]},
            }

    def sweep(self):
        """Free finished jobs older than the time-to-live; returns how many were freed."""
        now = time.monotonic()
        with self._lock:
            expired = [j.id for j in self._jobs.values()
                       if j.finished_mono is not None and now - j.finished_mono > self.result_ttl]
            for job_id in expired:
                del self._jobs[job_id]
        if expired:
            log.debug("freed %d expired jobs", len(expired))
        return len(expired)

    # -- internals ----------------------------------------------------------------------------

    def _check_room(self):
        if self._closing.is_set() or not self.accepting:
            raise QueueFull("the server is shutting down; try again when it is back", retry_after=5)
        idle = max(0, self.workers - self._running)
        if len(self._queue) >= self.queue_depth + idle:
            raise QueueFull(
                f"the server is busy: {self._running} jobs running and {len(self._queue)} "
                f"waiting (queue depth {self.queue_depth}); try again later",
                retry_after=self._retry_after())

    def _get(self, job_id):
        job = self._jobs.get(job_id)
        if job is None:
            raise UnknownJob(f"no job {str(job_id)[:64]}: unknown, or finished more than "
                             f"{self.result_ttl:g} s ago and freed")
        return job

    def _snapshot(self, job):
        data = {
            "id": job.id,
            "state": job.state,
            "stage": job.stage,
            "progress": round(job.progress, 4),
            "stage_progress": stage_progress(job.stage, job.progress),
            "error": job.error or None,
            "cancel_requested": job.cancel.is_set() or job.state == CANCELLED,
            "backend": job.backend,
            "seed": job.seed,
            "audio_seconds": job.seconds,
            "created": job.created,
            "started": job.started,
            "finished": job.finished,
        }
        if job.state == QUEUED:
            data["queue_position"] = self._queue.index(job)
        if job.finished_mono is not None:
            left = self.result_ttl - (time.monotonic() - job.finished_mono)
            data["expires_in"] = round(max(0.0, left), 1)
        return data

    def _retry_after(self):
        """Seconds until a place is likely free: half the expected time to work off what is
        waiting and running, from the median duration of recent jobs."""
        typical = sorted(self._recent_seconds)[len(self._recent_seconds) // 2] if self._recent_seconds else 5.0
        waves = (len(self._queue) + self._running) / max(1, self.workers)
        return int(min(600, max(1, math.ceil(typical * max(1.0, waves) / 2))))

    def _finish(self, job, state, error="", result=None):
        """Move ``job`` to a finished state (caller holds the lock)."""
        job.state = state
        job.stage = state
        job.error = error
        job.result = result
        if state == DONE:
            job.progress = 1.0
        job.payload = None
        job.finished = time.time()
        job.finished_mono = time.monotonic()
        self._counts[state] += 1
        self._ended.notify_all()
        took = job.finished - (job.started or job.created)
        log.info(kv("job", id=job.id, state=state, backend=job.backend, seed=job.seed,
                    label=job.label or None, audio_s=job.seconds,
                    waited_s=(job.started or job.finished) - job.created,
                    duration_s=took if job.started else None,
                    frames=getattr(result, "n_frames", None), error=error or None))

    def _serve_jobs(self):
        while True:
            with self._lock:
                while not self._queue and not self._closing.is_set():
                    self._wake.wait()
                if self._closing.is_set():
                    return
                job = self._queue.popleft()
                job.state = job.stage = RUNNING
                job.started = time.time()
                self._running += 1
            try:
                self._run(job)
            finally:
                with self._lock:
                    self._running -= 1

    def _run(self, job):
        state, error, result = DONE, "", None
        t0 = time.monotonic()
        try:
            output = self._work(job.payload, progress=functools.partial(self._progress, job),
                                cancelled=job.cancel.is_set)
            if job.cancel.is_set():  # asked to stop after the last boundary: honour it anyway
                raise JobCancelled("cancelled")
            result = self._to_result(output)
        except JobCancelled:
            state = CANCELLED
        except TalkrigError as exc:
            state, error = FAILED, str(exc) or type(exc).__name__
        except MemoryError:
            state, error = FAILED, "out of memory; try shorter audio"
        except BaseException as exc:  # a plugin's bug must fail its job, never the server
            if isinstance(exc, OSError) and exc.errno in DISK_FULL:
                # the server's state, not a bug: said without its paths or a traceback
                log.warning("job %s: the server's disk cannot hold what it writes (%s)", job.id,
                            exc.strerror)
                state, error = FAILED, (f"the server cannot write the job's files "
                                        f"({exc.strerror}); free space on the server and try again")
            else:
                log.exception("job %s crashed", job.id)
                state, error = FAILED, (f"internal error while generating "
                                        f"({type(exc).__name__}: {exc})")
        with self._lock:
            self._recent_seconds.append(time.monotonic() - t0)
            self._finish(job, state, error=error, result=result)

    def _progress(self, job, stage, fraction=None):
        """Pipeline progress callback: stage name and overall fraction; never goes backwards."""
        with self._lock:
            if job.state != RUNNING:
                return
            job.stage = str(stage)
            if fraction is not None and math.isfinite(fraction):
                job.progress = max(job.progress, min(1.0, max(0.0, float(fraction))))
        if job.cancel.is_set():
            raise JobCancelled("cancelled")

    def _sweep_forever(self):
        interval = min(30.0, max(0.05, self.result_ttl / 4))
        while not self._closing.wait(interval):
            self.sweep()
