"""The bearer token: generated on first start, kept in a file only its owner can read.

Every endpoint but health and the API docs needs ``Authorization: Bearer <token>``.
"""

import contextlib
import hmac
import logging
import os
import re
import secrets
import stat
import tempfile
from pathlib import Path

from ...motion.errors import TalkrigError

log = logging.getLogger(__name__)

TOKEN_BYTES = 32
MIN_TOKEN_CHARS, MAX_TOKEN_CHARS = 16, 512  # a token a person chose, or ours (43)
_TOKEN = re.compile(rb"[\x21-\x7e]{%d,%d}" % (MIN_TOKEN_CHARS, MAX_TOKEN_CHARS))


class TokenFileError(TalkrigError):
    """The token file cannot be read or written."""


def load_or_create_token(path):
    """The token stored at ``path``; a new random one (written with mode 0600) if there is none.

    An existing file readable by others is tightened to 0600 with a warning. An empty file (what
    a write cut short by a full disk leaves) counts as none. The new token is written to a file
    of its own and linked into place whole, so no start ever leaves a partial token behind.
    """
    path = Path(path).expanduser()
    try:
        token = _read_token(path)
        if token is not None:
            return token
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        _write_whole(path, token + "\n")
        log.info("created a new server token in %s", path)
        return token
    except FileExistsError:  # another server created it between our read and our write
        return _read_token(path)
    except OSError as exc:
        raise TokenFileError(f"token file {path}: {exc.strerror or exc}") from None


def _write_whole(path, text):
    """Write ``text`` to a new file at ``path`` (mode 0600) all or nothing; FileExistsError
    when a non-empty one appeared meanwhile."""
    fd, temporary = tempfile.mkstemp(prefix=".token-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        if path.is_file() and not _head(path).strip():
            os.replace(temporary, path)  # an empty leftover: nothing to lose
        else:
            os.link(temporary, path)  # fails when another start wrote one meanwhile
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _read_token(path):
    """The token in ``path``; None when there is none (no file, or an empty one)."""
    if not path.exists():
        return None
    if not path.is_file():
        raise TokenFileError(f"token file {path} is not a regular file; delete it to get a new token")
    mode = stat.S_IMODE(path.stat().st_mode)
    if os.name == "posix" and mode & 0o077:
        log.warning("token file %s was readable by others (mode %o); setting it to 0600", path, mode)
        path.chmod(0o600)
    data = _head(path)
    if not data.strip():
        log.warning("token file %s is empty (a write cut short?); writing a new token", path)
        return None
    token = data.strip()
    if not _TOKEN.fullmatch(token):
        raise TokenFileError(f"token file {path} does not hold a token ({MIN_TOKEN_CHARS} to "
                             f"{MAX_TOKEN_CHARS} printable characters, no spaces); delete it to get "
                             "a new one")
    return token.decode("ascii")


def _head(path):
    """The first bytes of a token file: enough for any token, never a huge file whole."""
    with open(path, "rb") as handle:
        return handle.read(MAX_TOKEN_CHARS + 64)


def bearer_token(header_value):
    """The token in an ``Authorization`` header value, or None."""
    if not header_value:
        return None
    scheme, _, value = header_value.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def token_matches(expected, given):
    """Constant-time comparison; always False when nothing was given."""
    if expected is None:
        return True
    if not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
