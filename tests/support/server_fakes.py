"""Stand-ins for server tests: a scripted pipeline, a test generator plugin, small WAV bytes.

The stand-in pipeline follows inference.generation.pipeline.generate's contract (progress per stage,
cancelled() polled between windows, exact frame count) and does what ``backend_options["mode"]``
asks: finish, fail with a TalkrigError, crash with a bug, or block until released or cancelled.
"""

import io
import logging
import threading
import time

import numpy as np
import soundfile as sf

from talkrig.inference.generation.options import Option
from talkrig.inference.generation.pipeline import GenerateResult
from talkrig.inference.progress import JobCancelled
from talkrig.inference.registry import PluginEntry
from talkrig.inference.speech.words import Word
from talkrig.motion import Motion, frame_count
from talkrig.motion.errors import TalkrigError


class ScriptedGenerator:
    """A generator plugin as the registry loads it; its options drive the stand-in pipeline."""

    name = "scripted"
    options = (
        Option("mode", "choice", default="ok", choices=("ok", "fail", "crash", "block")),
        Option("amplitude", "float", default=0.1, min=0.0, max=1.0),
        Option("library", "path", default=None, help="a folder of mocap files"),
    )

    def describe(self):
        return {"name": self.name, "summary": "test generator",
                "capabilities": {"needs_data": False, "needs_model": False, "stochastic": True,
                                 "initial_pose": False, "fps": None},
                "options": [o.to_dict() for o in self.options]}

    def generate(self, request):  # never called: the stand-in pipeline does the work
        raise AssertionError("not used")


def fake_entries():
    """{name: PluginEntry} with the scripted generator and one that failed to load."""
    return {
        "broken": PluginEntry(name="broken", target="nowhere:Broken",
                              error="ModuleNotFoundError: No module named 'nowhere'"),
        "scripted": PluginEntry(name="scripted", target="tests:ScriptedGenerator",
                                plugin=ScriptedGenerator),
    }


class ScriptedPipeline:
    """Callable like inference.generation.pipeline.generate; records calls; ``release`` unblocks "block" jobs."""

    def __init__(self, windows=5):
        self.windows = windows
        self.release = threading.Event()
        self.started = threading.Event()
        self.calls = []

    def __call__(self, audio, options, progress=None, cancelled=None):
        self.calls.append(options)
        mode = options.backend_options.get("mode", "ok")
        progress("features", 0.1)
        if mode == "fail":
            raise TalkrigError("the generator refused this audio")
        if mode == "crash":
            raise ZeroDivisionError("division by zero")
        self.started.set()
        for i in range(self.windows):
            if mode == "block":
                while not self.release.wait(0.01):
                    if cancelled():
                        raise JobCancelled("cancelled")
            if cancelled():
                raise JobCancelled("cancelled")
            progress("generate", 0.2 + 0.7 * (i + 1) / self.windows)
        n = frame_count(audio.duration, options.fps)
        poses = np.zeros((n, 55, 3), np.float32)
        poses[:, 16, 2] = options.backend_options.get("amplitude", 0.1)
        motion = Motion(poses=poses, trans=np.zeros((n, 3)), fps=options.fps)
        return GenerateResult(motion=motion, words=[Word("hello", 0.1, 0.4, 0.9)], features=None)


def wav_bytes(seconds=1.0, rate=16000, freq=220.0):
    """A sine tone as 16-bit WAV file bytes."""
    t = np.arange(int(seconds * rate)) / rate
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate,
             format="WAV", subtype="PCM_16")
    return buf.getvalue()


def wait_for(predicate, timeout=10.0, interval=0.01):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


class LiveServer:
    """The real app served the way `talkrig serve` serves it (serving.make_server on a bound
    loopback socket), in a thread; ``url``, ``app``, ``pipeline``, and ``records``: every log
    record of uvicorn and talkrig while it ran. Use as a context manager.

    work : stand-ins of the other kinds of job, as create_app takes them (capture=, render=).
    """

    def __init__(self, settings, pipeline=None, catalog=None, **work):
        from talkrig.inference.server.app import create_app
        from talkrig.inference.server.catalog import Catalog
        from talkrig.inference.server.serving import bind, make_server

        self.pipeline = pipeline or ScriptedPipeline()
        self.sock = bind("127.0.0.1", 0)
        settings.port = self.sock.getsockname()[1]
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.port}"
        catalog = catalog or Catalog(generators=fake_entries(), speech={}, renderers={})
        self.app = create_app(settings, generate=self.pipeline, catalog=catalog, **work)
        self.server = make_server(self.app, settings, log_level="info")
        self.records = []
        self._handler = _ListHandler(self.records)

    def __enter__(self):
        for name in ("uvicorn", "talkrig"):
            logging.getLogger(name).addHandler(self._handler)
        self._level = logging.getLogger("talkrig").level
        logging.getLogger("talkrig").setLevel(logging.INFO)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.started)
        return self

    def __exit__(self, *exc):
        self.pipeline.release.set()
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()
        for name in ("uvicorn", "talkrig"):
            logging.getLogger(name).removeHandler(self._handler)
        logging.getLogger("talkrig").setLevel(self._level)

    def tracebacks(self):
        """Log records that carry a traceback."""
        return [r for r in self.records if r.exc_info]

    def messages(self):
        return [r.getMessage() for r in self.records]


class _ListHandler(logging.Handler):
    def __init__(self, records):
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record):
        self.records.append(record)
