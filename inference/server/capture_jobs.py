"""Capture jobs: a video upload in, a zip of takes (NAME.npz + NAME.wav + NAME.camera.json, and
the summary) out.

Endpoints (under /v1, bearer token required), the same life cycle as generation jobs:

- ``POST /capture`` multipart: ``video`` (file) + ``options`` (JSON: fps, start, end, name,
  lens: the camera's focal length in mm, 35 mm equivalent)
  -> 202 {"id", "status_url", "result_url"}
- ``GET /capture/{id}`` state, stage (landmarks, fitting), progress, error
- ``GET /capture/{id}/result`` the takes and shots (skipped ones with their reason)
- ``GET /capture/{id}/result/takes.zip`` the takes as a zip archive
- ``DELETE /capture/{id}`` cancel (idempotent)

Capture jobs have their own single worker: a capture keeps a core busy for minutes and must
not hold up generation jobs.
"""

import functools
import io
import logging
import math
import os
import re
import shutil
import tempfile
import weakref
import zipfile
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...motion.errors import TalkrigError
from ...motion.lens import check_lens
from ..capture.span import check_span
from .job_options import OptionsError, options_object
from .job_routes import accepted, add_status_routes
from .jobs import JobRunner, Submission, with_options
from .uploads import UploadNoSpace, read_job_form

log = logging.getLogger(__name__)

OPTION_NAMES = ("fps", "start", "end", "name", "lens")
UPLOAD_PREFIX = "upload-"  # uploads in the server's scratch folder (removed at start: scratch.py)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,79}$")


@dataclass
class CaptureOptions:
    fps: float = 30.0
    start: float = 0.0
    end: float | None = None
    name: str = "video"
    lens: float | None = None  # mm, 35 mm equivalent (None: read from each shot)


@dataclass
class CaptureJobResult:
    """A finished capture: the zip of takes and what it holds."""

    archive: bytes
    takes: list  # [{"name", "n_frames", "seconds", "posture", "shot"}]
    shots: list  # the summary's shot entries
    n_frames: int


def parse_capture_options(data, filename):
    """CaptureOptions from the ``options`` JSON part (bytes or None) and the upload's name."""
    raw = options_object(data)
    unknown = sorted(set(raw) - set(OPTION_NAMES))
    if unknown:
        raise OptionsError(f"options: unknown {', '.join(unknown)}", valid=list(OPTION_NAMES))
    options = CaptureOptions(name=Path(filename or "video").stem[:80] or "video")
    units = {"fps": "frames per second", "start": "seconds", "end": "seconds",
             "lens": "millimetres"}
    for key, unit in units.items():
        value = raw.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise OptionsError(f"options: {key} must be a number of {unit}")
        setattr(options, key, float(value))
    if "name" in raw and raw["name"] is not None:
        options.name = str(raw["name"])
    if not NAME_PATTERN.match(options.name):
        options.name = re.sub(r"[^A-Za-z0-9 _.-]", "_", options.name).strip(" ._-")[:80] or "video"
    try:  # the rule the command line and the Python API follow
        check_span(options.fps, options.start, options.end)
        check_lens(options.lens)
    except TalkrigError as exc:
        raise OptionsError(f"options: {exc}") from None
    return options


def run_capture(video_path, options, progress=None, cancelled=None, max_seconds=None):
    """Capture one uploaded video into a temporary folder beside it and pack the takes into
    a zip; the folder and the upload are deleted afterwards.

    max_seconds : the longest span of video captured (the server's audio limit).
    A video that cannot be captured fails with the reason, named by the take's name, never by
    the server's own path.
    """
    from ..capture.errors import CaptureError
    from ..capture.pipeline import capture_video

    video = Path(video_path)
    folder = Path(tempfile.mkdtemp(prefix="capture-", dir=video.parent))
    try:
        result = capture_video(video, folder, fps=options.fps, start=options.start,
                               end=options.end, name=options.name, progress=progress,
                               cancelled=cancelled, overwrite=True, max_seconds=max_seconds,
                               lens=options.lens)
        return _pack(result, folder)
    except CaptureError as exc:  # FFmpeg's own messages name the file too
        problem = exc.problem.replace(str(video), options.name).replace(video.name, options.name)
        raise CaptureError(f"the video '{options.name}'", problem) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        _remove(video)  # now, not when the last reference to the job's upload goes


def _pack(result, folder):
    import numpy as np

    from ..capture.pipeline import CAMERA_SUFFIX

    takes = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for npz in result.takes:
            archive.write(npz, npz.name)
            archive.write(npz.with_suffix(".wav"), npz.with_suffix(".wav").name)
            camera = npz.with_name(npz.stem + CAMERA_SUFFIX)
            if camera.is_file():
                archive.write(camera, camera.name)
            with np.load(npz) as data:
                frames = int(data["poses"].shape[0])
                fps = float(data["mocap_frame_rate"])
            shot = next(s for s in result.shots if s.take == npz.stem)
            takes.append({"name": npz.stem, "n_frames": frames, "seconds": frames / fps,
                          "posture": shot.posture, "shot": shot.number})
        archive.write(result.summary, result.summary.name)
    return CaptureJobResult(archive=buffer.getvalue(), takes=takes,
                            shots=[s.to_dict() for s in result.shots],
                            n_frames=sum(t["n_frames"] for t in takes))


def capture_router(settings, runner, prefix):
    """The capture endpoints, served by ``runner`` (a JobRunner around :func:`run_capture`)."""
    router = APIRouter(prefix=prefix)
    uploads = Path(settings.data_dir) / "tmp"

    @router.post("/capture", status_code=202)
    async def submit_capture(request: Request):
        """Queue a capture: multipart with a ``video`` file part and an ``options`` JSON part
        (fps, start, end in seconds, name of the takes)."""
        video, options_data = await read_job_form(request, settings, runner.check_room, "video",
                                                  "the video")
        options = parse_capture_options(options_data, video.filename)
        path = await run_in_threadpool(_save_upload, uploads, video)
        del video
        job = runner.submit(Submission(path, options), label=options.name)
        return accepted(job, f"{prefix}/capture/{job['id']}")

    add_status_routes(router, runner, "/capture", "capture")

    @router.get("/capture/{job_id}/result")
    def capture_result(job_id: str):
        """The takes written and every shot (skipped ones with their reason)."""
        out = runner.result(job_id)
        return {"id": job_id, "takes": out.takes, "shots": out.shots,
                "archive": {"href": f"{prefix}/capture/{job_id}/result/takes.zip",
                            "bytes": len(out.archive)}}

    @router.get("/capture/{job_id}/result/takes.zip", response_class=Response)
    def capture_archive(job_id: str):
        """The takes (NAME.npz + NAME.wav per shot) and NAME.capture.json as a zip."""
        out = runner.result(job_id)
        return Response(out.archive, media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="talkrig-capture-{job_id}.zip"'})

    return router


class UploadedVideo(os.PathLike):
    """A video saved from an upload; the file is deleted once the job lets go of it (run,
    cancelled while queued, or the server closing)."""

    def __init__(self, path):
        self.path = Path(path)
        self._cleanup = weakref.finalize(self, _remove, self.path)

    def __fspath__(self):
        return str(self.path)


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def upload_suffix(filename):
    """A safe file suffix for an upload named ``filename`` (".video" when it has none that is
    short and plain): no separators, NUL bytes or names the file system refuses."""
    suffix = os.path.splitext(os.path.basename((filename or "").replace("\\", "/")))[1]
    return suffix.lower() if re.fullmatch(r"\.[A-Za-z0-9]{1,7}", suffix) else ".video"


def _save_upload(folder, part):
    """The upload written to a file of its own in ``folder`` (nothing left behind when the
    disk cannot hold it: UploadNoSpace)."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = upload_suffix(part.filename)
    handle = tempfile.NamedTemporaryFile(prefix=UPLOAD_PREFIX, suffix=suffix, dir=folder,
                                         delete=False)
    try:
        with handle:
            handle.write(part.data)
    except OSError as exc:
        _remove(handle.name)
        raise UploadNoSpace(f"the server cannot store this {len(part.data) / 2**20:.1f} MiB upload "
                            f"({exc.strerror or exc}); free space on the server or send a shorter "
                            "video") from None
    return UploadedVideo(handle.name)


def capture_runner(settings, capture=run_capture):
    """The JobRunner of capture jobs (payload: a Submission of the uploaded video and its
    CaptureOptions) around ``capture(video, options, progress, cancelled)``: one worker, the
    server's queue depth and expiry."""
    if capture is run_capture:
        capture = functools.partial(run_capture, max_seconds=settings.max_audio_seconds)
    return JobRunner(with_options(capture), workers=1, queue_depth=settings.queue_depth,
                     result_ttl=settings.result_ttl)
