"""What native libraries print straight to file descriptor 2 (libmpg123's resync notes,
TensorFlow Lite and absl under MediaPipe), kept off the terminal while they run: a command's
error or progress stays its one line. Python's own logging and warnings are not touched."""

import contextlib
import os
import sys


@contextlib.contextmanager
def native_stderr_off():
    """Point file descriptor 2 at the null device inside the block (no-op without one).

    Process-wide while it lasts: keep the block to the native call that chatters."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
