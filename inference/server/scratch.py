"""The server's scratch folder (``DATA_DIR/tmp``): uploads waiting for their job, capture
folders, partial renders, inline key-pose files. All of it belongs to the jobs of the server
that wrote it; a server killed mid-job (kill -9, a power cut) leaves it behind, so a starting
server removes what an earlier one left.
"""

import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

# what jobs write there (capture_jobs, render_jobs, app.pipeline_generate, tempfile's names)
PREFIXES = ("upload-", "capture-", "render-", "keyposes-")


def scratch_folder(data_dir):
    return Path(data_dir) / "tmp"


def clear_leftovers(data_dir):
    """Remove what jobs of an earlier server left in the scratch folder; returns how many
    entries went. Entries of other names are left alone."""
    folder = scratch_folder(data_dir)
    if not folder.is_dir():
        return 0
    removed = 0
    for entry in folder.iterdir():
        if not entry.name.startswith(PREFIXES):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
        except OSError as exc:
            log.warning("could not remove the leftover %s: %s", entry, exc.strerror or exc)
    if removed:
        log.info("removed %d leftover file(s) of an earlier server from %s", removed, folder)
    return removed
