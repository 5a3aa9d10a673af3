"""Reading the arrays of an npz file someone handed us, within bounds.

``np.load`` trusts the file: a member's header may declare 10^11 frames (numpy allocates them
before reading a byte), a member may be a deflate bomb (2 MB inflating to 2 GB), and every key
is read, the unused ones too. Here only the keys asked for are read; each header is checked
(plain numbers or text, no objects, at most ``max_bytes`` declared) before its data, and
exactly the declared bytes are inflated, so what a file can make this process hold is capped
by what it declares and that is capped. The zip directory itself is bounded by MAX_MEMBERS.
"""

import io
import math
import os
import stat
import zipfile
from tokenize import TokenError

import numpy as np

MAX_MEMBERS = 1000  # entries in the zip directory (each costs ~0.5 KB when listed)
MAX_HEADER = 10000  # bytes of an npy header (numpy's own default limit)
_CHUNK = 1 << 20


class NpzError(ValueError):
    """The file is not an npz this reader accepts; the message says why (one line)."""


def read_arrays(source, keys, max_bytes, max_total):
    """{key: array} of the members of ``keys`` present in the npz ``source`` (a path or the
    file's bytes), others never inflated. max_bytes : {key: most bytes its array may declare}
    (a key missing there: the "*" entry); max_total : most bytes of all of them."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        handle = io.BytesIO(bytes(source))
    else:
        handle = _open_regular(source)
    with handle:
        _check_directory(handle)
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            found, left = {}, max_total
            for info in archive.infolist():
                key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                if key in keys and key not in found:
                    limit = min(left, max_bytes.get(key, max_bytes.get("*", 0)))
                    with archive.open(info) as member:
                        found[key] = _read_member(member, key, limit)
                    left -= found[key].nbytes
            return found


def _open_regular(path):
    """The file opened for reading, refused unless it is a regular file (a FIFO blocks for
    ever, a device such as /dev/zero never ends)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO opens at once too
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise NpzError("is a folder, not an npz file")
        if not stat.S_ISREG(mode):
            raise NpzError("is not a regular file (a pipe or a device)")
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _check_directory(handle):
    """Refuse a zip directory of more than MAX_MEMBERS entries before it is listed."""
    try:
        end = zipfile._EndRecData(handle)  # the end record: entry count, directory size
    except (OSError, AttributeError):
        return
    if end is None:
        raise NpzError("not a readable npz file (truncated, or not a zip archive)")
    if end[zipfile._ECD_ENTRIES_TOTAL] > MAX_MEMBERS:
        raise NpzError(f"lists {end[zipfile._ECD_ENTRIES_TOTAL]} arrays; an npz of motion holds "
                       f"a few (at most {MAX_MEMBERS} are read)")


def _read_member(member, key, limit):
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member, max_header_size=MAX_HEADER)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member, max_header_size=MAX_HEADER)
    except (ValueError, SyntaxError, TypeError, EOFError, TokenError, RecursionError,
            MemoryError) as exc:  # numpy parses the header as Python literals
        raise NpzError(f"key '{key}' is not a readable array ({_first_line(exc)})") from None
    if any(d < 0 for d in shape):
        raise NpzError(f"key '{key}' declares a negative size {tuple(shape)}")
    if dtype.hasobject or dtype.kind not in "biufcSU" or dtype.fields is not None:
        raise NpzError(f"key '{key}' holds {dtype} values; motion keys are numbers or text")
    size = math.prod(shape) * dtype.itemsize
    if size > limit:
        raise NpzError(f"key '{key}' declares {tuple(shape)} {dtype} values ({size / 1e6:.4g} MB), "
                       f"more than a motion file holds (at most {limit / 1e6:.4g} MB)")
    data = bytearray()
    while len(data) < size:
        block = member.read(min(_CHUNK, size - len(data)))
        if not block:
            raise NpzError(f"key '{key}' is truncated ({len(data)} of {size} bytes)")
        data += block
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape[::-1]).T if fortran else array.reshape(shape)


def _first_line(exc):
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
