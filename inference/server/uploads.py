"""Read a job upload (multipart/form-data) into memory, refusing it as soon as it is too big.

The body is parsed as it streams in, so an oversized upload is refused without being stored,
and nothing is spooled to a temporary file (the server writes no files for a request). A body
that stops arriving (a client that promises more than it sends) is cut off after a timeout, and
a client that goes away mid-upload ends the request quietly.
"""

import asyncio
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from ...motion.errors import TalkrigError

MAX_FIELD_BYTES = 4 * 1024 * 1024  # the options JSON, key-pose dictionaries included
# An oversized body is still read (and dropped) up to this much past the limit before the 413 is
# sent: most clients send the whole body before reading the answer, and a connection closed on
# them mid-upload loses the 413. Bodies larger still are cut off at once.
DRAIN_BYTES = 16 * 1024 * 1024
BODY_TIMEOUT = 30.0  # seconds a body may pause; see read_form for the overall deadline
MIN_UPLOAD_RATE = 16 * 1024  # bytes per second an upload must average (128 kbit/s)


class UploadError(TalkrigError):
    """The request body is not the multipart form the endpoint expects."""

    status = 422


class UnsupportedUpload(UploadError):
    status = 415


class UploadTooLarge(UploadError):
    status = 413


class UploadStalled(UploadError):
    """The client stopped sending the body, or sends it too slowly to ever finish."""

    status = 408


class UploadNoSpace(UploadError):
    """The server's disk cannot hold the upload."""

    status = 507  # Insufficient Storage


class UploadAborted(UploadError):
    """The client closed the connection before the body was complete (nobody gets the answer)."""

    status = 499  # "client closed request", as nginx logs it


@dataclass
class Part:
    name: str
    filename: str | None = None
    content_type: str = ""
    data: bytearray = field(default_factory=bytearray)


def _too_large(limit):
    return UploadTooLarge(f"upload larger than the server's limit of {limit / 2**20:.1f} MiB; "
                          "send a shorter or compressed recording (e.g. 16 kHz mono)")


def check_declared_length(headers, limit):
    """Refuse at once when Content-Length says the body is far over ``limit`` bytes."""
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + DRAIN_BYTES:
        raise _too_large(limit)


async def read_form(request, limit, allowed, body_timeout=BODY_TIMEOUT):
    """The parts of a multipart body as {name: Part}; only names in ``allowed``, each once.

    limit : maximum body size in bytes (UploadTooLarge past it).
    allowed : {part name: its own size limit in bytes, or None for just the body limit}.
    body_timeout : seconds the body may pause (UploadStalled after that).
    """
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        main = next((name for name, cap in allowed.items() if cap is None), "audio")
        raise UnsupportedUpload(
            f"send the job as multipart/form-data with a '{main}' file part and an 'options' "
            f"JSON part (got Content-Type {request.headers.get('content-type') or 'none'!r})")
    check_declared_length(request.headers, limit)
    reader = _FormReader(allowed)
    try:
        parser = MultipartParser(params[b"boundary"], reader.callbacks())
    except Exception as exc:  # e.g. an absurd boundary
        raise UploadError(f"malformed multipart body: {exc}") from None
    received = 0
    async for chunk in body_chunks(request, limit, body_timeout):
        received += len(chunk)
        if received > limit:
            if received > limit + DRAIN_BYTES:
                raise _too_large(limit)
            continue  # drain: see DRAIN_BYTES
        try:
            parser.write(chunk)
        except UploadError:
            raise
        except Exception as exc:
            raise UploadError(f"malformed multipart body: {exc}") from None
    if received > limit:
        raise _too_large(limit)
    try:
        parser.finalize()
    except Exception as exc:
        raise UploadError(f"malformed multipart body: {exc}") from None
    if reader.current is not None:
        raise UploadError("malformed multipart body: it ends in the middle of a part")
    return reader.parts


async def read_job_form(request, settings, check_room, file_part, what):
    """A job's upload: its ``file_part`` (required, not empty) and its optional ``options`` JSON
    part, as (the file Part, the options bytes or None).

    ``check_room`` (the queue's) runs once the body is read, so that clients that send the whole
    body before reading the answer (most do) receive its 503 instead of a reset connection;
    ``what`` names the file in the error when it is missing ("the recording").
    """
    parts = await read_form(request, settings.max_upload_bytes,
                            {file_part: None, "options": MAX_FIELD_BYTES}, settings.body_timeout)
    check_room()
    upload = parts.get(file_part)
    if upload is None or not upload.data:
        raise UploadError(f"the upload has no '{file_part}' file part (or it is empty); send "
                          f"{what} as a multipart file part named '{file_part}'")
    options = parts.get("options")
    return upload, options.data if options else None


async def body_chunks(request, limit, body_timeout=BODY_TIMEOUT):
    """The body's chunks as they arrive.

    UploadStalled when nothing arrives for ``body_timeout`` seconds, or when the whole body
    (its Content-Length, else ``limit``) has not arrived by ``body_timeout`` plus its size at
    MIN_UPLOAD_RATE; UploadAborted when the client disconnects.
    """
    declared = request.headers.get("content-length", "")
    expected = min(int(declared), limit + DRAIN_BYTES) if declared.isdigit() else limit
    loop = asyncio.get_running_loop()
    deadline = loop.time() + body_timeout + expected / MIN_UPLOAD_RATE
    chunks = request.stream().__aiter__()
    while True:
        wait = min(body_timeout, deadline - loop.time())
        try:
            if wait <= 0:
                raise asyncio.TimeoutError
            chunk = await asyncio.wait_for(chunks.__anext__(), wait)
        except StopAsyncIteration:
            return
        except asyncio.TimeoutError:
            raise UploadStalled(
                f"the upload stalled: no data for {body_timeout:g} s, or slower than "
                f"{MIN_UPLOAD_RATE // 1024} KiB/s; send the whole body (its Content-Length must "
                "match what is sent)") from None
        except ClientDisconnect:
            raise UploadAborted("the client closed the connection during the upload") from None
        yield chunk


class _FormReader:
    """Callbacks for python-multipart's streaming parser, collecting parts in memory."""

    def __init__(self, allowed):
        self.allowed = dict(allowed)
        self.parts = {}
        self.current = None
        self._header_name = b""
        self._header_value = b""
        self._headers = {}

    def callbacks(self):
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }

    def on_part_begin(self):
        self._headers = {}
        self.current = None

    def on_header_field(self, data, start, end):
        self._header_name += data[start:end]

    def on_header_value(self, data, start, end):
        self._header_value += data[start:end]

    def on_header_end(self):
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def on_headers_finished(self):
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name not in self.allowed:
            raise UploadError(f"unexpected form part {name!r}; send {' and '.join(self.allowed)}")
        if name in self.parts:
            raise UploadError(f"form part {name!r} was sent twice")
        filename = options.get(b"filename")
        self.current = Part(
            name=name,
            filename=filename.decode("utf-8", "replace") if filename is not None else None,
            content_type=self._headers.get(b"content-type", b"").decode("latin-1"),
        )

    def on_part_data(self, data, start, end):
        part = self.current
        part.data += data[start:end]
        cap = self.allowed[part.name]
        if cap is not None and len(part.data) > cap:
            raise UploadTooLarge(f"form part {part.name!r} is larger than {cap / 2**20:g} MiB")

    def on_part_end(self):
        self.parts[self.current.name] = self.current
        self.current = None
