"""The server's scratch folder (``DATA_DIR/tmp``): uploads waiting for their job, capture
folders, partial renders, inline key-pose files. All of it belongs to the jobs of the server
that wrote it; a server killed mid-job (kill -9, a power cut) leaves it behind, so a starting
server removes what an earlier one left. The folder must be a real folder of the data folder:
were it a link, uploads would be written, read and removed wherever it leads.
"""

import logging
import shutil
from pathlib import Path

from .settings import SettingsError

log = logging.getLogger(__name__)

# what jobs write there (capture_jobs, render_jobs, generate_jobs.pipeline_generate, tempfile's
# names), and the hidden temporaries (.NAME.partial-PID.EXT, exporters/atomic.py) of files they
# write
PREFIXES = ("upload-", "capture-", "render-", "keyposes-")
PARTIAL = ".partial-"


def scratch_folder(data_dir):
    return Path(data_dir) / "tmp"


def _a_jobs(name):
    """Whether ``name`` is what a job writes (or the temporary of a file it writes)."""
    if name.startswith(".") and PARTIAL in name:
        name = name[1:]
    return name.startswith(PREFIXES)


def make_scratch(data_dir):
    """The scratch folder, created when missing; SettingsError when it is a link or a file."""
    folder = scratch_folder(data_dir)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise SettingsError(f"{folder} must be a folder of the data folder, not a link or a file: "
                            "remove it (the server keeps only temporary files there)")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def clear_leftovers(data_dir):
    """Remove what jobs of an earlier server left in the scratch folder; returns how many
    entries went. Entries of other names are left alone, and so is a scratch folder that is a
    link (what it leads to is not the server's)."""
    folder = scratch_folder(data_dir)
    if not folder.is_dir() or folder.is_symlink():
        return 0
    removed = 0
    for entry in folder.iterdir():
        if not _a_jobs(entry.name):
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
