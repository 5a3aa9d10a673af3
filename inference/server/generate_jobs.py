"""Generation jobs: a speech recording in, SMPL-X motion (BEAT2 npz) and its words out.

Endpoints (under /v1, bearer token required), the life cycle capture and render jobs share:

- ``GET /backends`` generators with their option schemas, speech engines, option defaults
- ``POST /jobs`` multipart: ``audio`` (file) + ``options`` (JSON) -> 202 {"id", ...}
- ``GET /jobs/{id}`` state, stage, progress, error
- ``GET /jobs/{id}/result`` words, fps, frame count and the link to the motion
- ``GET /jobs/{id}/result/motion`` the motion as BEAT2 npz bytes
- ``DELETE /jobs/{id}`` cancel (idempotent)
"""

import asyncio
import dataclasses
import functools
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from . import schemas
from .job_options import FIELDS, check_transcript_fits, parse_options
from .job_routes import accepted, add_status_routes
from .jobs import JobRunner, Submission, UnknownJob, with_options
from .schemas import ERRORS
from .uploads import read_job_form


@dataclass
class JobResult:
    """What a finished generation job hands back: the motion as BEAT2 npz bytes (empty for a
    words-only job) and the words."""

    npz: bytes
    words: list  # [{"word", "start", "end", "confidence"[, "phones"]}]
    fps: float
    n_frames: int
    duration: float  # seconds of motion
    notices: list = dataclasses.field(default_factory=list)  # warnings about the words


def result_from_pipeline(result):
    """JobResult from an inference.generation.pipeline.GenerateResult (serialised in the worker
    thread)."""
    from ...motion.npz import npz_bytes
    from ..speech.words import words_to_json

    motion = result.motion
    if motion is None:  # words only
        return JobResult(npz=b"", words=words_to_json(result.words), fps=result.features.fps,
                         n_frames=0, duration=0.0, notices=list(result.notices))
    return JobResult(npz=npz_bytes(motion), words=words_to_json(result.words), fps=motion.fps,
                     n_frames=motion.n_frames, duration=motion.n_frames / motion.fps,
                     notices=list(result.notices))


def pipeline_generate(audio, options, progress=None, cancelled=None, scratch=None):
    """The real pipeline, looked up at call time.

    A key-pose dictionary sent inline (a JSON object) is written to a file in ``scratch`` (inside
    the data folder) for the duration of the job: the pipeline reads dictionaries from files.
    """
    from ..generation import pipeline

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
    from ..audio.decode import decode_audio

    return decode_audio(data, max_seconds=max_seconds, name=name)


def generate_runner(settings, generate=None):
    """The JobRunner of generation jobs (payload: a Submission of the decoded audio and its
    GenerateOptions) around ``generate(audio, options, progress, cancelled)``, the pipeline's
    contract (default: the real pipeline, with the server's scratch folder)."""
    if generate is None:
        generate = functools.partial(pipeline_generate, scratch=Path(settings.data_dir) / "tmp")
    return JobRunner(with_options(generate), workers=settings.workers,
                     queue_depth=settings.queue_depth, result_ttl=settings.result_ttl,
                     to_result=result_from_pipeline)


def generate_router(settings, runner, catalog, decode, prefix):
    """The generation endpoints, served by ``runner`` (a JobRunner around the pipeline);
    ``decode(bytes, max_seconds, name)`` turns an upload into what the pipeline accepts."""
    router = APIRouter(prefix=prefix)
    decoding = asyncio.Semaphore(max(1, settings.workers))  # bounds memory of uploads in flight

    @router.get("/backends", response_model=schemas.Backends)
    def backends():
        """Generators with their option schemas (for building a UI), and speech engines."""
        defaults = {name: getattr(_default_options(), name) for name in FIELDS}
        return {"generators": catalog.describe_backends(), "speech": catalog.describe_speech(),
                "defaults": defaults}

    @router.post("/jobs", status_code=202, response_model=schemas.JobCreated,
              responses={s: ERRORS[s] for s in (408, 413, 415, 422, 503)},
              openapi_extra={"requestBody": _JOB_BODY})
    async def submit(request: Request):
        """Queue a job: multipart with an ``audio`` file part and an ``options`` JSON part.

        Options (all optional): backend, seed, fps, speech ("auto", "none" or an engine),
        transcript (text), keyposes ("default", "none", a dictionary object, or a file name
        in the server's data folder), backend_options (see GET /v1/backends), words_only (find
        the words and stop: a job on the same recording moments later takes them).
        """
        audio, options_data = await read_job_form(request, settings, runner.check_room, "audio",
                                                  "the recording")
        options = await run_in_threadpool(parse_options, options_data, catalog,
                                          settings.data_dir, settings.max_audio_seconds)
        name = Path(audio.filename or "audio").name[:120] or "audio"
        async with decoding:
            runner.check_room()
            decoded = await run_in_threadpool(decode, bytes(audio.data),
                                              settings.max_audio_seconds, name)
        del audio
        seconds = _seconds(decoded)
        if seconds is not None:
            check_transcript_fits(options, seconds)
        job = runner.submit(Submission(decoded, options), label=name, seconds=seconds,
                            backend=options.backend, seed=options.seed)
        return accepted(job, f"{prefix}/jobs/{job['id']}")

    add_status_routes(router, runner, "/jobs", "job", response_model=schemas.JobStatus,
                      response_model_exclude_none=True, responses={404: ERRORS[404]})

    @router.get("/jobs/{job_id}/result", response_model=schemas.JobResultInfo,
             response_model_exclude_none=True, responses={404: ERRORS[404], 409: ERRORS[409]})
    def result(job_id: str):
        """Words (JSON) and motion facts of a done job (no motion for a words-only job); 409
        while it runs or if it failed."""
        out = runner.result(job_id)
        info = {"id": job_id, "fps": out.fps, "n_frames": out.n_frames, "duration": out.duration,
                "words": out.words, "notices": out.notices or None}
        if not out.npz:
            return dict(info, words_only=True)
        return dict(info, motion={"href": f"{prefix}/jobs/{job_id}/result/motion",
                                  "bytes": len(out.npz)})

    @router.get("/jobs/{job_id}/result/motion", response_class=Response,
             responses={200: {"content": {"application/octet-stream": {}},
                              "description": "BEAT2 npz"}, 404: ERRORS[404], 409: ERRORS[409]})
    def result_motion(job_id: str):
        """The motion as BEAT2-layout npz bytes (load with numpy.load or `talkrig info`); 404 for a
        words-only job."""
        out = runner.result(job_id)
        if not out.npz:
            raise UnknownJob(f"job {job_id} found words only: it has no motion")
        return Response(out.npz, media_type="application/octet-stream", headers={
            "Content-Disposition": f'attachment; filename="talkrig-{job_id}.npz"'})

    return router


def _default_options():
    from ..generation.pipeline import GenerateOptions

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
