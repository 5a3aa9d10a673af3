"""Batch tasks on a Ray cluster (``bake-batch --engine ray``), the cluster-wide process pool.

    engine = RayEngine(address="auto", cpus_per_clip=1)
    for result in engine.run(clips, bake_clip, settings, died, warm_up):
        ...

Each task is one Ray task asking for ``cpus_per_clip`` CPUs; Ray runs it on any node with that
much free. Ray keeps a task's worker process for the run's next tasks, so ``warm_up`` (Blender
and the generation pipeline) runs once per worker process, as in the local pool. A task whose
worker process or node dies is run again, on any node, up to ``retries`` times (Ray's own task
retry); after that ``died`` gives its result. Only a few tasks per CPU of the cluster are in
flight at a time, so a stream of 100 000 clips is never held in memory. Without an address a
local Ray instance starts for the run and stops with it.

Ray is imported here only, when a run starts: it is the optional ``talkrig[cluster]`` extra.
"""

import contextlib
import logging
import os
import re
import socket
import sys
import threading
import time
import warnings
from dataclasses import dataclass

from .errors import BakeError, EngineStartError
from .workers import SHOW_ENV

log = logging.getLogger(__name__)

# Tries after the first when a task's worker process or node dies.
RETRIES = 2
# Tasks submitted per clip slot of the cluster: enough to keep every CPU busy between results.
AHEAD = 2
INSTALL = "the ray engine needs Ray on every node: pip install 'talkrig[cluster]'"
# A ray:// head starts one client server process per driver; on a loaded head that process
# sometimes dies as it starts (Ray then answers the first, after about 40 s, or the second when
# it finds the process already dead and not yet reaped): worth another try.
CLIENT_SERVER_DIED = ("Starting Ray client server failed", "psutil.ZombieProcess")
CLIENT_TRIES = 3
HEAD_CHECK = 5.0  # seconds between checks that the head still answers, while no task ends
# Ray ends a driver that has not reached the cluster's GCS for a minute, with exit status 1 and
# only a line of its native log: a run that finds the head dead, stops its Ray and writes its
# summary can take longer than that on a loaded machine. A driver of a cluster waits longer
# (read when Ray is imported: set later, it holds for some of Ray's clients only); the run finds
# a dead head itself within HEAD_CHECK, and never waits on the GCS without checking the head.
GCS_PATIENCE = "RAY_gcs_rpc_server_reconnect_timeout_s"
GCS_PATIENCE_S = 3600


@dataclass
class RayEngine:
    """Runs a batch's tasks as Ray tasks.

    address : "auto", "HOST:PORT" or "ray://HOST:PORT" of a running cluster; None starts a
        local instance with ``local_cpus`` CPUs (None: all cores) for the run.
    cpus_per_clip : CPUs Ray reserves for each task (a fraction packs several per CPU).
    """

    address: str = None
    cpus_per_clip: float = 1.0
    retries: int = RETRIES
    local_cpus: int = None

    def run(self, tasks, work, shared, died, warm_up=None):
        """Yield ``work(task, shared)`` for every task, in the order they finish.

        work, warm_up : module-level functions, importable on every node. died(task, seconds,
        message) -> the result of a task whose tries all died. Raises BakeError when the
        cluster cannot be reached or a worker cannot work at all.
        """
        ray = import_ray(cluster=self.address is not None)
        if self.address is not None:
            check_reachable(self.address)  # EngineStartError: nothing was run
        restore = _loopback_only() if on_loopback(self.address) else None
        # This driver's Ray core logs its own errors on stderr (a head gone mid-run: "Failed to
        # push error to driver ..." and more): the run says what happened in one line instead.
        quiet = (self.address is not None and not os.environ.get(SHOW_ENV))
        with _without_native_logs() if quiet else contextlib.nullcontext():
            try:
                self._connect(ray)
                yield from self._results(ray, iter(tasks), (work, warm_up, os.getcwd()), shared,
                                         died)
            finally:
                ray.shutdown()  # a local instance stops; a cluster cancels what is left of it
                if restore is not None:
                    restore()

    def _connect(self, ray):
        if ray.is_initialized():
            ray.shutdown()
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        for attempt in range(1, CLIENT_TRIES + 1):
            try:
                self._init(ray)
                break
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
                ray.shutdown()
                if attempt < CLIENT_TRIES and any(why in str(exc) for why in CLIENT_SERVER_DIED):
                    log.warning("the Ray client server at %s did not start; trying again (%d "
                                "of %d)", self.address, attempt + 1, CLIENT_TRIES)
                    continue
                raise EngineStartError(self._cannot_connect(exc)) from None
        self._warn_if_no_node_fits(ray)

    def _init(self, ray):
        show = bool(os.environ.get(SHOW_ENV))
        options = dict(log_to_driver=show, logging_level=logging.WARNING)
        with warnings.catch_warnings():  # Ray warns, then raises what the error line says
            warnings.simplefilter("ignore", UserWarning)
            if self.address is None:
                ray.init(address="local", num_cpus=self.local_cpus, include_dashboard=False,
                         **options)
            else:
                ray.init(address=self.address, **options)

    def _cannot_connect(self, exc):
        """The one-line error of a failed ray.init: Ray's reason, and what to check."""
        where = f"the Ray cluster at {self.address}" if self.address else "a local Ray"
        hint = ""
        if (self.address or "").startswith("ray://") and "connection timeout" in str(exc):
            hint = (f"; is {self.address} the cluster's Ray client port (`ray start --head "
                    f"--ray-client-server-port`, {CLIENT_PORT} by default)?")
        return f"cannot start or reach {where}: {_one_line(exc)}{hint}"

    def _warn_if_no_node_fits(self, ray):
        """A clip needs cpus_per_clip CPUs on one node: say so when no node has them yet (a
        growing cluster may still get one, so the run waits rather than fails)."""
        nodes = self._asked_of_gcs(ray.nodes)
        widest = max((node["Resources"].get("CPU", 0) for node in nodes if node["Alive"]),
                     default=0)
        if widest < self.cpus_per_clip:
            log.warning("no node of the Ray cluster has %g CPUs for a clip yet (the largest has "
                        "%g); the clips wait for one", self.cpus_per_clip, widest)

    def _results(self, ray, tasks, how, shared, died):
        remote = ray.remote(bake_task).options(
            num_cpus=self.cpus_per_clip, max_retries=self.retries, retry_exceptions=False)
        shared_ref = ray.put(shared)
        in_flight = {}  # ObjectRef -> (task, time submitted)
        more = True
        while True:
            room = 0
            if more:
                room = AHEAD * self._slots(ray) - len(in_flight)
            while more and room > 0:
                task = next(tasks, _END)
                if task is _END:
                    more = False
                    break
                in_flight[remote.remote(*how, task, shared_ref)] = (task, time.perf_counter())
                room -= 1
            if not in_flight:
                return
            done, _ = ray.wait(list(in_flight), num_returns=1, timeout=HEAD_CHECK)
            if not done:
                self._check_head()
            for ref in done:
                task, submitted = in_flight.pop(ref)
                yield self._outcome(ray, ref, task, submitted, died)

    def _check_head(self):
        """BakeError when the cluster's head no longer takes connections (killed, its machine
        gone): Ray itself would wait a minute and then end this process without a word."""
        if self.address is None:
            return  # a local instance lives and dies with this process
        try:
            check_reachable(self.address)
        except BakeError:
            raise BakeError(f"the Ray cluster's head at {self.address} stopped answering in the "
                            "middle of the run") from None

    def _slots(self, ray):
        """How many tasks the cluster runs at once now (at least 1: a growing cluster)."""
        cpus = self._asked_of_gcs(ray.cluster_resources).get("CPU", 0)
        return max(1, int(cpus // self.cpus_per_clip))

    def _asked_of_gcs(self, question):
        """``question()``, a call the cluster's GCS answers, with the head checked while it
        waits: a dead head holds such a call until Ray ends this process (GCS_PATIENCE). The
        call runs on a daemon thread, left behind when the head is found dead."""
        if self.address is None:
            return question()
        answer = {}

        def ask():
            try:
                answer["value"] = question()
            except BaseException as exc:  # raised where the caller waits
                answer["error"] = exc

        thread = threading.Thread(target=ask, name="ray-gcs", daemon=True)
        thread.start()
        while True:
            self._check_head()
            thread.join(HEAD_CHECK)
            if not thread.is_alive():
                break
        if "error" in answer:
            raise answer["error"]
        return answer["value"]

    def _fetched(self, ray, ref):
        """ray.get of a finished task's result, the head checked while it waits: a result kept
        on a head that has died cannot be read, and Ray would wait a minute and then end this
        process without a word."""
        while True:
            try:
                return ray.get(ref, timeout=HEAD_CHECK)
            except ray.exceptions.GetTimeoutError:
                self._check_head()

    def _outcome(self, ray, ref, task, submitted, died):
        errors = ray.exceptions
        try:
            kind, payload = self._fetched(ray, ref)
        except (errors.RayTaskError, errors.RuntimeEnvSetupError,
                errors.TaskUnschedulableError) as exc:  # not the clip: every task would fail
            cause = getattr(exc, "cause", None) or exc
            raise BakeError(f"a Ray worker cannot run talkrig ({_one_line(cause)}); "
                            f"{INSTALL}") from None
        except errors.RayError as exc:  # the worker or its node died on every try
            self._check_head()  # or the whole cluster did: the run stops, not this clip
            tries = self.retries + 1
            return died(task, time.perf_counter() - submitted,
                        f"the worker process died ({type(exc).__name__}, "
                        f"{tries} {'try' if tries == 1 else 'tries'})")
        if kind == "fatal":
            raise BakeError(f"a Ray worker could not start: {payload}")
        return payload


_END = object()
_WARM = set()  # the warm-up functions this worker process has run


LOOPBACK_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


# A line of Ray's native (C++) log: "[2026-11-23 14:11:34,259 E 15698 15719] file.cc:1545: ..."
NATIVE_LOG = re.compile(rb"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [DIWEF] \d+ \d+\] ")


@contextlib.contextmanager
def _without_native_logs():
    """For the block, this process's stderr (file descriptor 2) passes through a pipe that drops
    the lines of Ray's native log and lets everything else through to where stderr went."""
    sys.stderr.flush()
    target = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def forward():  # line by line, but a progress bar's "\r" redraws pass at once
        pending = b""
        while chunk := os.read(read_end, 65536):
            *pieces, pending = re.split(rb"(?<=[\r\n])", pending + chunk)
            if pending and not pending.startswith(b"["):  # cannot be a log line: no need to wait
                pieces, pending = [*pieces, pending], b""
            for piece in pieces:
                if not NATIVE_LOG.match(piece):
                    os.write(target, piece)
        if pending and not NATIVE_LOG.match(pending):
            os.write(target, pending)
        os.close(read_end)

    thread = threading.Thread(target=forward, name="ray-stderr", daemon=True)
    thread.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(target, 2)  # the pipe's last write end closes: the thread reads to its end
        thread.join(5)
        os.close(target)


def on_loopback(address):
    """Whether a run stays on this machine's loopback: a local instance (no address), or a
    cluster addressed as 127.0.0.1, localhost or ::1 (which Ray would otherwise reach, and have
    this driver registered, at the machine's network address)."""
    if address is None:
        return True
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    return (host if colon else port).strip("[]") in ("127.0.0.1", "localhost", "::1")


def _loopback_only():
    """Keep this run on loopback: Ray gives its processes the machine's network address
    (reachable from other machines), and rewrites 127.0.0.1 in an address to it, unless
    multi-node clusters are off, as on Windows and macOS. Returns the function that puts the
    setting back (a later run may join a remote cluster)."""
    from ray._private import ray_constants

    before, saved = ray_constants.ENABLE_RAY_CLUSTER, os.environ.get(LOOPBACK_SWITCH)
    ray_constants.ENABLE_RAY_CLUSTER = False  # this process (the driver)
    os.environ[LOOPBACK_SWITCH] = "0"  # the processes it starts

    def restore():
        ray_constants.ENABLE_RAY_CLUSTER = before
        if saved is None:
            os.environ.pop(LOOPBACK_SWITCH, None)
        else:
            os.environ[LOOPBACK_SWITCH] = saved

    return restore


def bake_task(work, warm_up, cwd, task, shared):
    """A Ray task: run ``warm_up`` once per worker process, then ``work(task, shared)`` in the
    driver's folder ``cwd`` when this node has it (relative paths mean the same as there).

    Returns ("result", what work returned), or ("fatal", why) when the warm-up fails (no Blender
    on this node: no task could work here).
    """
    if cwd != os.getcwd() and os.path.isdir(cwd):
        os.chdir(cwd)
    if warm_up is not None and warm_up not in _WARM:
        try:
            warm_up()
        except Exception as exc:
            return "fatal", f"{type(exc).__name__}: {exc} (on {socket.gethostname()})"
        _WARM.add(warm_up)
    return "result", work(task, shared)


CLIENT_PORT = 10001  # Ray's default for ray://HOST


def check_reachable(address):
    """Raise BakeError when nothing listens at a HOST:PORT or ray://HOST[:PORT] address (Ray
    itself retries an unreachable cluster for minutes); other forms (auto) are Ray's to check."""
    client = address.startswith("ray://")
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon and client:
        host, port = port, str(CLIENT_PORT)
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise EngineStartError(f"cannot reach the Ray cluster at {address}: "
                               f"{exc.strerror or type(exc).__name__}") from None


def import_ray(cluster=False):
    """The ray module; for a driver of a cluster (``cluster``) imported with Ray's patience
    with a GCS it cannot reach raised to GCS_PATIENCE_S, unless the user set it (this process
    and what it starts keep the setting)."""
    if cluster and "ray" not in sys.modules:
        os.environ.setdefault(GCS_PATIENCE, str(GCS_PATIENCE_S))
    try:
        import ray
    except ImportError:
        raise EngineStartError(INSTALL) from None
    return ray


def _one_line(exc):
    """What went wrong in one line: the exception's first line, and when that only introduces
    more ("Initialization failure from server:" and the server's traceback) the last line too,
    which names the cause."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    text = lines[0]
    if text.endswith(":") and len(lines) > 1:
        text = f"{text} {lines[-1]}"
    return f"{type(exc).__name__}: {text}"
