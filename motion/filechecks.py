"""Whether a path can be read as a file, checked before opening it (numpy only: the motion
files, JSON files and text files all ask)."""

import os
import stat


def not_a_file(path):
    """Why ``path`` cannot be read as a file (missing, a folder, a pipe or a device), or None.

    Checked before opening: a FIFO blocks its reader until something writes to it (for ever),
    and /dev/zero or /dev/urandom never end, so a reader fills memory."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a pipe or a device)"
    return None
