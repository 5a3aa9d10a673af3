"""What the client accepts from a server: job ids, job statuses, words and takes checked before
anything else sees them (standard library only).

A server is a program on the other end of a socket: a wrong URL, an old version or a hostile
one may answer anything. Whatever passes here is safe to show in Blender's panel, to put into
a file name and to bake; anything else is a ClientError that says the server is at fault.
"""

import ast
import io
import math
import re
import struct
import zipfile

from .errors import ClientError

STATES = ("queued", "running", "done", "failed", "cancelled")
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_TEXT = 600  # characters of a server's message shown in the panel
# The longest take a talkrig server makes: its longest audio (600 s) at its highest frame rate
# (240 fps). A longer one would take minutes and gigabytes to bake.
MAX_TAKE_FRAMES = 600 * 240
MAX_MOTION_BYTES = 256 * 1024 * 1024
MAX_WORDS = 20000  # 600 s of speech holds about 2 000


def malformed(url, what):
    return ClientError(f"{url} sent {what}: it is not a talkrig server, or an incompatible "
                       "version; check the URL and port", kind="not_talkrig")


def short_text(text, limit=MAX_TEXT):
    """A server's message as one line of at most ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def job_id(answer, url):
    """The id in a job's 202 answer: a short plain name (it goes into file names)."""
    value = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(value, str) or not JOB_ID.fullmatch(value):
        raise malformed(url, f"a job id that is not a plain name ({short_text(repr(value), 80)})")
    return value


def job_status(status, url):
    """A job status with the fields the add-on reads checked: state one of STATES, stage and
    error text or None, progress and stage_progress numbers 0..1 or None."""
    if not isinstance(status, dict) or status.get("state") not in STATES:
        shown = status.get("state") if isinstance(status, dict) else type(status).__name__
        raise malformed(url, f"a job status without a valid state ({short_text(repr(shown), 80)})")
    out = dict(status)
    for key in ("stage", "error"):
        value = out.get(key)
        if value is not None and not isinstance(value, str):
            raise malformed(url, f"a job status whose {key} is not text")
        out[key] = short_text(value) if value else value
    for key in ("progress", "stage_progress"):
        value = out.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise malformed(url, f"a job status whose {key} is not a number")
            out[key] = min(1.0, max(0.0, float(value)))
    position = out.get("queue_position")
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
        out["queue_position"] = None
    out["cancel_requested"] = out.get("cancel_requested") is True
    return out


def words(value, url):
    """A result's words: a list of {"word": text, "start", "end": seconds, ...}."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_WORDS:
        raise malformed(url, "words that are not a list of words")
    for item in value:
        if (not isinstance(item, dict) or not isinstance(item.get("word"), str)
                or not all(_number(item.get(k)) for k in ("start", "end"))):
            raise malformed(url, f"a word that is not a word with its times ({short_text(repr(item), 80)})")
    return value


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def take_frames(npz, url):
    """Frames of the take in BEAT2 npz bytes, read from the header of its ``poses`` array (no
    array is loaded); ClientError for an archive that is not one, or a take too long to bake."""
    try:
        with zipfile.ZipFile(io.BytesIO(npz)) as archive:
            with archive.open("poses.npy") as member:
                head = member.read(512)
        shape = _npy_shape(head)
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError, OSError, EOFError, struct.error):
        raise malformed(url, "a take that is not a readable BEAT2 npz (no poses array)") from None
    if not shape or not isinstance(shape[0], int) or shape[0] < 0:
        raise malformed(url, "a take whose poses are not frames")
    if shape[0] > MAX_TAKE_FRAMES:
        raise ClientError(f"the server sent a take of {shape[0]} frames; the add-on takes at most "
                          f"{MAX_TAKE_FRAMES} (600 s at 240 fps), as a talkrig server makes",
                          kind="not_talkrig")
    return shape[0]


def _npy_shape(head):
    """The shape in the header of a .npy file (its first bytes)."""
    if head[:6] != b"\x93NUMPY":
        raise ValueError("not a .npy array")
    if head[6] == 1:
        size, start = struct.unpack("<H", head[8:10])[0], 10
    else:
        size, start = struct.unpack("<I", head[8:12])[0], 12
    header = ast.literal_eval(head[start:start + size].decode("latin-1"))
    shape = header.get("shape") if isinstance(header, dict) else None
    if not isinstance(shape, tuple):
        raise ValueError("no shape")
    return shape
