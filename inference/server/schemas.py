"""Response bodies of the HTTP API, as pydantic models: they document the API at /docs."""

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    detail: str = Field(description="what is wrong, in words a person can act on")
    valid: list[str] | None = Field(None, description="the accepted values, when a name was unknown")


# The error answers routes document: {status: the body every one of them has}.
ERRORS = {status: {"model": ErrorBody}
          for status in (401, 403, 404, 408, 409, 413, 415, 422, 431, 503)}


class JobCreated(BaseModel):
    id: str
    state: str = Field(description="queued")
    status_url: str
    result_url: str


class JobStatus(BaseModel):
    id: str
    state: str = Field(description="queued | running | done | failed | cancelled")
    stage: str = Field(description="pipeline stage now running (decode, features, words, "
                                   "generate, keyposes, postprocess) or the state once ended")
    progress: float = Field(description="0..1, never decreases")
    stage_progress: float | None = Field(None, description="0..1 within the current stage "
                                                           "(decode, features, words, generate, ...)")
    error: str | None = Field(None, description="why the job failed")
    cancel_requested: bool
    backend: str | None = None
    seed: int | None = None
    audio_seconds: float | None = None
    created: float = Field(description="Unix time")
    started: float | None = None
    finished: float | None = None
    queue_position: int | None = Field(None, description="0 = next to run (queued jobs only)")
    expires_in: float | None = Field(None, description="seconds until a finished job is freed")


class PhoneOut(BaseModel):
    phone: str = Field(description="ARPAbet symbol without stress digit")
    start: float = Field(description="seconds")
    end: float = Field(description="seconds")


class WordOut(BaseModel):
    word: str
    start: float = Field(description="seconds")
    end: float = Field(description="seconds")
    confidence: float
    phones: list[PhoneOut] | None = Field(None, description="the word's phones, for words "
                                                            "aligned or read with them")


class MotionLink(BaseModel):
    href: str
    media_type: str = "application/octet-stream"
    format: str = Field("BEAT2 npz", description="poses (T,165), trans (T,3), expressions, betas, "
                                                 "gender, mocap_frame_rate")
    bytes: int


class JobResultInfo(BaseModel):
    id: str
    fps: float
    n_frames: int
    duration: float = Field(description="seconds of motion")
    words: list[WordOut]
    motion: MotionLink | None = Field(None, description="absent for a words-only job")
    words_only: bool | None = Field(None, description="true for a words-only job (no motion)")
    notices: list[str] | None = Field(None, description="warnings a person should read about "
                                                        "the words, one line each (absent when "
                                                        "none): e.g. speech judged not English, "
                                                        "whose words were not kept")


class Health(BaseModel):
    name: str = Field(description="always \"talkrig\": tells a talkrig server from other programs")
    status: str
    version: str
    api: str
    auth_required: bool
    authorized: bool = Field(description="whether the request carried the right token; the "
                                         "fields below are only sent to authorized requests")
    limits: dict
    jobs: dict | None = None
    loaded_models: list[dict] | None = None
    generators: list[str] | None = None
    speech: list[str] | None = None
    failed_plugins: list[dict] | None = Field(None, description="[{group, name, error}]")


class Backends(BaseModel):
    generators: list[dict] = Field(description="describe() of each generator: name, summary, "
                                               "capabilities, options (the schema), available, error")
    speech: list[dict]
    defaults: dict
