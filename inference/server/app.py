"""The FastAPI app: versioned job API over the generation pipeline, OpenAPI docs at /docs.

Endpoints (all under /v1; all but health need ``Authorization: Bearer <token>``; the API
documentation at /docs, /redoc and /openapi.json is open: it describes the API and holds no data):

- ``POST /jobs`` multipart: ``audio`` (file) + ``options`` (JSON) -> 202 {"id", ...}
- ``GET /jobs/{id}`` state, stage, progress, error
- ``GET /jobs/{id}/result`` words, fps, frame count and the link to the motion
- ``GET /jobs/{id}/result/motion`` the motion as BEAT2 npz bytes
- ``DELETE /jobs/{id}`` cancel (idempotent)
- ``GET /backends`` generators with their option schemas, speech engines
- ``GET /health`` name, version, limits; with the token also jobs, models, failed plugins
- ``POST /capture`` a video -> takes (see ``capture_jobs``), with the same job life cycle
- ``POST /render`` a take + camera + renderer -> an MP4 (see ``render_jobs``), the same life cycle
- ``/live`` WebSocket: PCM audio in, frames out as the voice arrives (see live.py)
"""

import asyncio
import dataclasses
import functools
import json
import logging
import os
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ... import __version__
from . import schemas
from .auth import bearer_token, token_matches
from .capture_jobs import capture_router, capture_runner
from .scratch import clear_leftovers
from .catalog import Catalog
from .errors import NotAuthorized, add_error_handlers
from .guards import HeadLimit, HostCheck
from .job_options import FIELDS, check_transcript_fits, parse_options
from .live import add_live_route
from .render_jobs import render_router, render_runner
from .job_routes import accepted
from .jobs import JobRunner
from .logs import RequestLog, kv
from .settings import ServerSettings
from .uploads import MAX_FIELD_BYTES, UploadError, read_form

log = logging.getLogger(__name__)

API_VERSION = "v1"
ERRORS = {status: {"model": schemas.ErrorBody}
          for status in (401, 403, 404, 408, 409, 413, 415, 422, 431, 503)}


def pipeline_generate(audio, options, progress=None, cancelled=None, scratch=None):
    """The real pipeline, looked up at call time.

    A key-pose dictionary sent inline (a JSON object) is written to a file in ``scratch`` (inside
    the data folder) for the duration of the job: the pipeline reads dictionaries from files.
    """
    from .. import pipeline

    inline = options.keyposes if isinstance(options.keyposes, (dict, list)) else None
    if inline is None:
        return pipeline.generate(audio, options, progress=progress, cancelled=cancelled)
    folder = Path(scratch or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="keyposes-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(inline, handle)
        options = dataclasses.replace(options, keyposes=name)
        return pipeline.generate(audio, options, progress=progress, cancelled=cancelled)
    finally:
        os.unlink(name)


def decode_upload(data, max_seconds, name):
    """The real decoder: 16 kHz mono samples, or AudioError naming what is wrong."""
    from ..audio import decode_audio

    return decode_audio(data, max_seconds=max_seconds, name=name)


def create_app(settings=None, generate=None, decode=decode_upload, catalog=None, capture=None,
               render=None):
    """The app, with its job runner started and stopped by the app's lifespan.

    generate : the pipeline function (default the real one; a stand-in in unit tests).
    decode : ``decode(bytes, max_seconds, name)`` -> what ``generate`` accepts as audio.
    catalog : a Catalog of plugins (default: the installed entry points).
    capture : the capture function of capture jobs (default: the real one).
    render : the render function of render jobs (default: the real one).
    """
    settings = settings or ServerSettings()
    catalog = catalog or Catalog()
    if generate is None:
        generate = functools.partial(pipeline_generate, scratch=Path(settings.data_dir) / "tmp")
    runner = JobRunner(generate, workers=settings.workers, queue_depth=settings.queue_depth,
                       result_ttl=settings.result_ttl)
    captures = capture_runner(settings, **({"capture": capture} if capture else {}))
    renders = render_runner(settings, render)

    @asynccontextmanager
    async def lifespan(app):
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        await run_in_threadpool(clear_leftovers, settings.data_dir)
        runner.start()
        captures.start()
        renders.start()
        log.info(kv("server-start", version=__version__, workers=settings.workers,
                    queue_depth=settings.queue_depth, data_dir=settings.data_dir,
                    auth=settings.token is not None))
        try:
            yield
        finally:
            await run_in_threadpool(runner.close)
            await run_in_threadpool(captures.close)
            await run_in_threadpool(renders.close)
            log.info(kv("server-stop"))

    app = FastAPI(
        title="talkrig server",
        version=__version__,
        summary="Voice-over in, SMPL-X gesture motion out.",
        description=(
            "Submit speech audio as a job, poll its progress, fetch the motion (BEAT2 npz) and "
            "the words. Every endpoint but `/v1/health` needs `Authorization: Bearer <token>`; "
            "the token is in the server's token file (`talkrig serve --help` says where). "
            "This documentation (`/docs`, `/redoc`, `/openapi.json`) is open: it holds no data."),
        lifespan=lifespan,
    )
    app.state.settings, app.state.runner, app.state.catalog = settings, runner, catalog
    app.state.runners = (runner, captures, renders)  # every queue that must stop taking jobs on exit
    app.add_middleware(HeadLimit, limit=settings.max_header_bytes)
    app.add_middleware(HostCheck, bound=settings.host, port=settings.port,
                       allowed=settings.allowed_hosts)
    app.add_middleware(RequestLog)  # outermost: refused hosts are logged too
    add_error_handlers(app)

    bearer = HTTPBearer(auto_error=False, description="the token from the server's token file")

    def require_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)):
        if not token_matches(settings.token, credentials.credentials if credentials else None):
            raise NotAuthorized("missing or wrong bearer token: send 'Authorization: Bearer <token>' "
                                "with the token from the server's token file")

    open_api = APIRouter(prefix=f"/{API_VERSION}")
    api = APIRouter(prefix=f"/{API_VERSION}", dependencies=[Depends(require_token)],
                    responses={401: ERRORS[401], 403: ERRORS[403]})
    decoding = asyncio.Semaphore(max(1, settings.workers))  # bounds memory of uploads in flight

    @open_api.get("/health", response_model=schemas.Health, response_model_exclude_none=True)
    def health(request: Request):
        """Who answers (always "talkrig"), its version and limits; details need the token."""
        given = bearer_token(request.headers.get("authorization"))
        authorized = token_matches(settings.token, given)
        data = {
            "name": "talkrig", "status": "ok", "version": __version__, "api": API_VERSION,
            "auth_required": settings.token is not None, "authorized": authorized,
            "limits": {"max_upload_bytes": settings.max_upload_bytes,
                       "max_audio_seconds": settings.max_audio_seconds,
                       "queue_depth": settings.queue_depth, "result_ttl": settings.result_ttl},
        }
        if authorized:
            data.update(jobs=runner.stats(), loaded_models=catalog.loaded(),
                        generators=catalog.generator_names(), speech=catalog.speech_names(),
                        failed_plugins=catalog.failed())
        return data

    @api.get("/backends", response_model=schemas.Backends)
    def backends():
        """Generators with their option schemas (for building a UI), and speech engines."""
        defaults = {name: getattr(_default_options(), name) for name in FIELDS}
        return {"generators": catalog.describe_backends(), "speech": catalog.describe_speech(),
                "defaults": defaults}

    @api.post("/jobs", status_code=202, response_model=schemas.JobCreated,
              responses={s: ERRORS[s] for s in (408, 413, 415, 422, 503)},
              openapi_extra={"requestBody": _JOB_BODY})
    async def submit(request: Request):
        """Queue a job: multipart with an ``audio`` file part and an ``options`` JSON part.

        Options (all optional): backend, seed, fps, speech ("auto", "none" or an engine),
        transcript (text), keyposes ("default", "none", a dictionary object, or a file name
        in the server's data folder), backend_options (see GET /v1/backends).
        """
        # the body is read even when the queue is full, so that HTTP clients that send it whole
        # before reading (most do) receive the 503 instead of a reset connection
        parts = await read_form(request, settings.max_upload_bytes,
                                {"audio": None, "options": MAX_FIELD_BYTES}, settings.body_timeout)
        runner.check_room()
        audio = parts.get("audio")
        if audio is None or not audio.data:
            raise UploadError("the upload has no 'audio' file part (or it is empty); send the "
                              "recording as a multipart file part named 'audio'")
        options_part = parts.get("options")
        options = await run_in_threadpool(parse_options, options_part.data if options_part else None,
                                          catalog, settings.data_dir, settings.max_audio_seconds)
        name = Path(audio.filename or "audio").name[:120] or "audio"
        async with decoding:
            runner.check_room()
            decoded = await run_in_threadpool(decode, bytes(audio.data),
                                              settings.max_audio_seconds, name)
        del parts, audio
        seconds = _seconds(decoded)
        if seconds is not None:
            check_transcript_fits(options, seconds)
        job = runner.submit(decoded, options, label=name, audio_seconds=seconds)
        return accepted(job, f"/{API_VERSION}/jobs/{job['id']}")

    @api.get("/jobs/{job_id}", response_model=schemas.JobStatus, response_model_exclude_none=True,
             responses={404: ERRORS[404]})
    def job_status(job_id: str):
        """State (queued, running, done, failed, cancelled), stage, progress 0..1, error."""
        return runner.status(job_id)

    @api.delete("/jobs/{job_id}", response_model=schemas.JobStatus,
                response_model_exclude_none=True, responses={404: ERRORS[404]})
    def cancel(job_id: str):
        """Cancel: a queued job ends at once, a running one at its next stage or window
        boundary (state stays "running" with cancel_requested until then). Idempotent."""
        return runner.cancel(job_id)

    @api.get("/jobs/{job_id}/result", response_model=schemas.JobResultInfo,
             response_model_exclude_none=True, responses={404: ERRORS[404], 409: ERRORS[409]})
    def result(job_id: str):
        """Words (JSON) and motion facts of a done job; 409 while it runs or if it failed."""
        out = runner.result(job_id)
        return {"id": job_id, "fps": out.fps, "n_frames": out.n_frames, "duration": out.duration,
                "words": out.words, "motion": {"href": f"/{API_VERSION}/jobs/{job_id}/result/motion",
                                               "bytes": len(out.npz)}}

    @api.get("/jobs/{job_id}/result/motion", response_class=Response,
             responses={200: {"content": {"application/octet-stream": {}},
                              "description": "BEAT2 npz"}, 404: ERRORS[404], 409: ERRORS[409]})
    def result_motion(job_id: str):
        """The motion as BEAT2-layout npz bytes (load with numpy.load or `talkrig info`)."""
        out = runner.result(job_id)
        return Response(out.npz, media_type="application/octet-stream", headers={
            "Content-Disposition": f'attachment; filename="talkrig-{job_id}.npz"'})

    @app.get("/", include_in_schema=False)
    def root():
        return {"name": "talkrig", "version": __version__, "api": f"/{API_VERSION}", "docs": "/docs"}

    app.include_router(open_api)
    app.include_router(api)
    app.include_router(capture_router(settings, captures, f"/{API_VERSION}"),
                       dependencies=[Depends(require_token)], responses={401: ERRORS[401]})
    app.include_router(render_router(settings, renders, runner, catalog, f"/{API_VERSION}"),
                       dependencies=[Depends(require_token)], responses={401: ERRORS[401]})
    add_live_route(app, settings, catalog, prefix=f"/{API_VERSION}")
    return app


def _default_options():
    from ..pipeline import GenerateOptions

    return GenerateOptions()


def _seconds(decoded):
    """Duration of decoded audio in seconds, if it says."""
    for attr in ("duration", "seconds"):
        value = getattr(decoded, attr, None)
        if isinstance(value, (int, float)):
            return float(value)
    return None


_JOB_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object",
        "required": ["audio"],
        "properties": {
            "audio": {"type": "string", "format": "binary",
                      "description": "speech recording (wav, flac, ogg, mp3, ...)"},
            "options": {"type": "string", "description":
                        'JSON object, e.g. {"backend": "procedural", "seed": 3, "fps": 30, '
                        '"speech": "auto", "transcript": null, "keyposes": "default", '
                        '"backend_options": {}}'},
        },
    }}},
}
