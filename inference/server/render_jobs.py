"""Render jobs: a take (an uploaded motion or a finished job's), a camera and a renderer in, an
MP4 of the rendered take (H.264, with the speech when sent) out.

Endpoints (under /v1, bearer token required), the same life cycle as generation jobs:

- ``POST /render`` multipart: ``motion`` (npz file part) or ``options.job`` (a done job's id),
  optional ``audio`` (speech to mux in) and ``options`` (JSON: renderer, camera, size, job,
  fps: the video's frame rate, the take's own by default)
  -> 202 {"id", "status_url", "result_url"}
- ``GET /render/{id}`` state, stage ("render"), progress, error
- ``GET /render/{id}/result`` frames, size, renderer and the link to the video
- ``GET /render/{id}/result/video.mp4`` the video
- ``DELETE /render/{id}`` cancel (idempotent)

Everything a client can get wrong is checked when the job is submitted (422 with the reason):
the motion, the camera, the renderer (a name, or a trained renderer's folder on the server's
machine, as generators take their ``model`` folder), the size and the take's length. Render
jobs have their own single worker, like capture jobs.
"""

import functools
import logging
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...motion.errors import TalkrigError
from .job_options import OptionsError, check_links_inside, options_object
from .job_routes import accepted, add_status_routes
from .jobs import JobRunner
from .uploads import MAX_FIELD_BYTES, UploadError, read_form

log = logging.getLogger(__name__)

OPTION_NAMES = ("renderer", "camera", "size", "job", "fps")
MAX_SIDE = 2048  # pixels: a render job is minutes of work per minute of take already


@dataclass
class RenderRequest:
    """A checked render job: the take, how to film and render it, and the speech."""

    motion: object  # motion.container.Motion
    renderer: str  # name or folder, as load_renderer takes it
    camera: object = None  # motion.camera.Camera, or None for the upper-body framing
    size: tuple = None
    audio: object = None  # DecodedAudio or None


@dataclass
class RenderJobResult:
    """A finished render: the MP4 bytes and what they hold."""

    video: bytes
    n_frames: int
    fps: float
    size: tuple
    renderer: str


def parse_render_options(data, catalog, data_dir):
    """{"renderer", "camera", "size", "job"} from the ``options`` JSON part, checked (the
    renderer is looked up now, so an unknown one is a 422 before any work; a folder is one
    inside ``data_dir``)."""
    from ...motion.camera import Camera
    from ..render import RENDERER, check_size, resolve_renderer

    raw = options_object(data)
    unknown = sorted(set(raw) - set(OPTION_NAMES))
    if unknown:
        raise OptionsError(f"options: unknown {', '.join(unknown)}", valid=list(OPTION_NAMES))
    renderer = raw.get("renderer") or "skeleton"
    if not isinstance(renderer, str):
        raise OptionsError("options: renderer must be a renderer name or a trained renderer's "
                           "folder")
    renderer = _confined_renderer(renderer, catalog, data_dir)
    name, _ = resolve_renderer(renderer)
    RENDERER.require(name, catalog.renderers)
    camera = raw.get("camera")
    if camera is not None:
        if not isinstance(camera, dict):
            raise OptionsError("options: camera must be a camera object (width, height, focal, "
                               "world_from_camera, world_from_motion)")
        camera = Camera.from_dict(camera, label="options: camera")
        _check_camera(camera)
    size = raw.get("size")
    if size is not None:
        if (not isinstance(size, list) or len(size) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in size)):
            raise OptionsError("options: size must be [width, height] in pixels")
        if max(size) > MAX_SIDE:
            raise OptionsError(f"options: size is at most {MAX_SIDE} pixels a side")
        size = check_size(size, "options: size")
    job = raw.get("job")
    if job is not None and not isinstance(job, str):
        raise OptionsError("options: job must be the id of a finished job")
    fps = raw.get("fps")
    if fps is not None and (isinstance(fps, bool) or not isinstance(fps, (int, float))
                            or not math.isfinite(fps) or not 1 <= fps <= 120):
        raise OptionsError("options: fps must be a frame rate from 1 to 120")
    return {"renderer": renderer, "camera": camera, "size": size, "job": job, "fps": fps}


def _confined_renderer(spec, catalog, data_dir):
    """A renderer's name, or the absolute path of a trained renderer's folder inside the data
    folder (``spec`` relative to it). Anything else, an absolute path, "..", a folder that is
    missing or leads out, gets the same message, which says nothing of what exists."""
    from ..render import DEFAULT_RENDERER, resolve_renderer

    if spec in catalog.renderers:
        return spec
    root = Path(data_dir).resolve()
    parts = Path(spec).parts
    path = (root / spec).resolve() if spec and "\0" not in spec and not Path(spec).is_absolute() \
        and ".." not in parts and not spec.startswith("~") else None
    if path is None or not (root in path.parents) or not path.is_dir():
        raise OptionsError(
            f"options: renderer {spec[:120]!r} is neither a renderer ({', '.join(sorted(catalog.renderers)) or DEFAULT_RENDERER}) "
            "nor a trained renderer's folder in the server's data folder (name the folder by its "
            "path inside that folder)")
    check_links_inside(path, root, f"options: renderer {spec[:120]!r}")
    try:
        resolve_renderer(str(path))
    except TalkrigError as exc:
        raise OptionsError(f"options: {str(exc).replace(str(path), spec)}") from None
    return str(path)


def _check_camera(camera):
    values = [camera.focal, camera.fps, *camera.world_from_camera.ravel(),
              *camera.world_from_motion.ravel()]
    if not all(math.isfinite(v) for v in values):
        raise OptionsError("options: camera holds a NaN or infinite number")
    if not (0 < camera.width <= MAX_SIDE and 0 < camera.height <= MAX_SIDE and camera.focal > 0):
        raise OptionsError("options: camera needs a positive focal length and an image size "
                           f"of at most {MAX_SIDE} pixels a side (the render's size limit)")


def read_motion(data, label, max_seconds, fps=None):
    """The Motion in uploaded npz bytes (resampled to ``fps`` when given), refused when longer
    than ``max_seconds``."""
    from ...motion.npz import read_npz
    from ...motion.resample import resample

    motion = read_npz(bytes(data), name=label)
    seconds = motion.n_frames / motion.fps  # before resampling: the new rate may need many more frames
    if max_seconds is not None and seconds > max_seconds:
        raise OptionsError(f"{label}: the take is {seconds:.0f} s long; this server renders at "
                           f"most {max_seconds:g} s")
    if fps is not None and abs(motion.fps - fps) > 1e-6:
        motion = resample(motion, float(fps))
    return motion


def run_render(request, progress=None, cancelled=None, scratch=None):
    """Render ``request`` (a RenderRequest) into a temporary file and return its bytes."""
    from contextlib import closing

    from ..render import load_renderer, render_motion, render_size

    folder = Path(scratch or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="render-", suffix=".mp4", dir=folder)
    os.close(fd)
    path = Path(name)
    try:
        with closing(load_renderer(request.renderer)) as renderer:
            size = render_size(renderer, request.size, request.camera)
            render_motion(request.motion, request.camera, renderer, path, audio=request.audio,
                          progress=progress, cancelled=cancelled, size=size)
            return RenderJobResult(video=path.read_bytes(), n_frames=request.motion.n_frames,
                                   fps=request.motion.fps, size=size, renderer=renderer.name)
    finally:
        path.unlink(missing_ok=True)


def render_router(settings, runner, jobs, catalog, prefix):
    """The render endpoints, served by ``runner``; ``jobs`` is the generation JobRunner whose
    finished jobs' motion can be rendered by id."""
    router = APIRouter(prefix=prefix)

    @router.post("/render", status_code=202)
    async def submit_render(request: Request):
        """Queue a render: a ``motion`` npz file part or options.job, an optional ``audio``
        file part, and an ``options`` JSON part (renderer, camera, size, job)."""
        parts = await read_form(request, settings.max_upload_bytes,
                                {"motion": None, "audio": None, "options": MAX_FIELD_BYTES},
                                settings.body_timeout)
        runner.check_room()
        options_part = parts.get("options")
        options = await run_in_threadpool(parse_render_options,
                                          options_part.data if options_part else None, catalog,
                                          settings.data_dir)
        motion_part = parts.get("motion")
        if options["job"] is not None and motion_part is not None:
            raise UploadError("send the take either as a 'motion' file part or as options.job, "
                              "not both")
        if options["job"] is not None:
            data, label = jobs.result(options["job"]).npz, f"job {options['job']}"
        elif motion_part is not None and motion_part.data:
            data, label = motion_part.data, Path(motion_part.filename or "motion.npz").name[:120]
        else:
            raise UploadError("the upload has no take: send the motion as a multipart file part "
                              "named 'motion' (BEAT2 npz), or the id of a finished job as "
                              "options.job")
        motion = await run_in_threadpool(read_motion, data, label, settings.max_audio_seconds,
                                         options["fps"])
        audio = None
        audio_part = parts.get("audio")
        if audio_part is not None and audio_part.data:
            from ..audio.decode import decode_audio

            name = Path(audio_part.filename or "audio").name[:120] or "audio"
            audio = await run_in_threadpool(decode_audio, bytes(audio_part.data),
                                            settings.max_audio_seconds, name)
        del parts, motion_part, audio_part
        job = runner.submit(RenderRequest(motion=motion, renderer=options["renderer"],
                                          camera=options["camera"], size=options["size"],
                                          audio=audio), label=label,
                            seconds=motion.n_frames / motion.fps)
        return accepted(job, f"{prefix}/render/{job['id']}")

    add_status_routes(router, runner, "/render", "render")

    @router.get("/render/{job_id}/result")
    def render_result(job_id: str):
        """Frames, frame rate, size and renderer of a done render, and the video's link."""
        out = runner.result(job_id)
        return {"id": job_id, "n_frames": out.n_frames, "fps": out.fps,
                "size": list(out.size), "renderer": out.renderer,
                "video": {"href": f"{prefix}/render/{job_id}/result/video.mp4",
                          "bytes": len(out.video)}}

    @router.get("/render/{job_id}/result/video.mp4", response_class=Response)
    def render_video(job_id: str):
        """The rendered take as an MP4 (H.264, AAC speech when it was sent)."""
        out = runner.result(job_id)
        return Response(out.video, media_type="video/mp4", headers={
            "Content-Disposition": f'attachment; filename="talkrig-render-{job_id}.mp4"'})

    return router


def render_runner(settings, render=None):
    """The JobRunner of render jobs (payload: a RenderRequest) around ``render(request,
    progress, cancelled)`` (default :func:`run_render`): one worker, the server's queue depth
    and expiry."""
    if render is None:
        render = functools.partial(run_render, scratch=Path(settings.data_dir) / "tmp")
    return JobRunner(render, workers=1, queue_depth=settings.queue_depth,
                     result_ttl=settings.result_ttl)
