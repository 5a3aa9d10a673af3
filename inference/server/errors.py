"""Project errors -> HTTP answers: a status code and ``{"detail": message}`` (plus ``valid``
names when an unknown one was given), so every bad input gets a 4xx a person can act on."""

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ...motion.errors import TalkrigError
from .job_options import OptionsError
from .jobs import QueueFull, ResultNotReady, UnknownJob
from .uploads import UploadError

# answers sent before the body was read to its end: the connection cannot carry another request
CLOSE_AFTER = (408, 413, 499)


class NotAuthorized(TalkrigError):
    """The request has no bearer token, or the wrong one."""


def _error(status, message, headers=None, **extra):
    body = {"detail": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(status_code=status, content=body, headers=headers)


def add_error_handlers(app):
    """Register the handlers on ``app``."""

    @app.exception_handler(TalkrigError)
    async def talkrig_error(request, exc):
        message = str(exc) or type(exc).__name__
        if isinstance(exc, NotAuthorized):
            return _error(401, message, headers={"WWW-Authenticate": "Bearer"})
        if isinstance(exc, QueueFull):
            return _error(503, message, headers={"Retry-After": str(exc.retry_after)})
        if isinstance(exc, UnknownJob):
            return _error(404, message)
        if isinstance(exc, ResultNotReady):
            return _error(409, message)
        if isinstance(exc, UploadError):
            close = {"Connection": "close"} if exc.status in CLOSE_AFTER else None
            return _error(exc.status, message, headers=close)
        if isinstance(exc, OptionsError):
            return _error(422, message, valid=exc.valid)
        return _error(422, message)  # unknown plugins, bad audio (AudioError), other bad input

    @app.exception_handler(RequestValidationError)
    async def validation_error(request, exc):
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return _error(422, "; ".join(parts) or "invalid request")
