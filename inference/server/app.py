"""The FastAPI app: versioned job API over the generation pipeline, OpenAPI docs at /docs.

Endpoints (all under /v1; all but health need ``Authorization: Bearer <token>``; the API
documentation at /docs, /redoc and /openapi.json is open: it describes the API and holds no data):

- ``GET /health`` name, version, limits; with the token also jobs, models, failed plugins
- ``GET /backends``, ``POST /jobs`` speech -> motion and words (see ``generate_jobs``)
- ``POST /capture`` a video -> takes (see ``capture_jobs``), with the same job life cycle
- ``POST /render`` a take + camera + renderer -> an MP4 (see ``render_jobs``), the same life cycle
- ``/live`` WebSocket: PCM audio in, frames out as the voice arrives (see live.py)
"""

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ... import __version__
from . import schemas
from .auth import bearer_token, token_matches
from .capture_jobs import capture_router, capture_runner
from .scratch import clear_leftovers
from .catalog import Catalog
from .errors import NotAuthorized, add_error_handlers
from .generate_jobs import decode_upload, generate_router, generate_runner
from .guards import HeadLimit, HostCheck
from .live import add_live_route
from .logs import RequestLog, kv
from .render_jobs import render_router, render_runner
from .schemas import ERRORS
from .settings import ServerSettings

log = logging.getLogger(__name__)

API_VERSION = "v1"


def create_app(settings=None, generate=None, decode=decode_upload, catalog=None, capture=None,
               render=None):
    """The app, with its job runner started and stopped by the app's lifespan.

    generate : the pipeline function, ``generate(audio, options, progress, cancelled)``
        (default the real one; a stand-in in unit tests).
    decode : ``decode(bytes, max_seconds, name)`` -> what ``generate`` accepts as audio.
    catalog : a Catalog of plugins (default: the installed entry points).
    capture : ``capture(video, options, progress, cancelled)`` of capture jobs (default: the
        real one).
    render : ``render(request, progress, cancelled)`` of render jobs (default: the real one).
    """
    settings = settings or ServerSettings()
    catalog = catalog or Catalog()
    runner = generate_runner(settings, generate)
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

    @app.get("/", include_in_schema=False)
    def root():
        return {"name": "talkrig", "version": __version__, "api": f"/{API_VERSION}", "docs": "/docs"}

    app.include_router(open_api)
    app.include_router(generate_router(settings, runner, catalog, decode, f"/{API_VERSION}"),
                       dependencies=[Depends(require_token)],
                       responses={401: ERRORS[401], 403: ERRORS[403]})
    app.include_router(capture_router(settings, captures, f"/{API_VERSION}"),
                       dependencies=[Depends(require_token)], responses={401: ERRORS[401]})
    app.include_router(render_router(settings, renders, runner, catalog, f"/{API_VERSION}"),
                       dependencies=[Depends(require_token)], responses={401: ERRORS[401]})
    add_live_route(app, settings, catalog, prefix=f"/{API_VERSION}")
    return app
