"""Write output files so that a file under its final name is always complete.

Every exporter writes to a hidden temporary name in the destination folder
(``.NAME.partial-PID.EXT``) and renames it into place only when it is finished, so an interrupted
bake or batch never leaves a half-written file that looks done. A rename within one folder is
atomic on every platform Python supports. Temporaries of a killed run are removed by
:func:`remove_stale` before a batch starts again.
"""

import contextlib
import os
import re
import shutil
from pathlib import Path

PARTIAL = ".partial-"


def partial_path(path):
    """The temporary name ``path`` is written under: same folder, hidden, same suffix."""
    path = Path(path)
    return path.with_name(f".{path.stem}{PARTIAL}{os.getpid()}{path.suffix}")


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path to write; on success it replaces ``path``, on failure it is removed.

    Works for single files and for folders (a temporary folder renamed as a whole).
    """
    path = Path(path)
    temp = partial_path(path)
    _remove(temp)
    try:
        yield temp
        if not temp.exists():
            raise FileNotFoundError(f"{temp} was not written")
        os.replace(temp, path)
    except BaseException:
        _remove(temp)
        raise


@contextlib.contextmanager
def atomic_files(path):
    """Yield a temporary folder to write ``path`` and its companions into (a .gltf and its .bin).

    On success every companion is moved beside ``path`` first and ``path`` itself last, so the
    main file never exists without what it refers to. The names inside the folder must be the
    final names.
    """
    path = Path(path)
    folder = path.with_name(f".{path.name}{PARTIAL}{os.getpid()}")
    _remove(folder)
    folder.mkdir()
    try:
        yield folder / path.name
        main = folder / path.name
        if not main.exists():
            raise FileNotFoundError(f"{main} was not written")
        for item in sorted(folder.iterdir()):
            if item != main:
                os.replace(item, path.parent / item.name)
        os.replace(main, path)
    finally:
        _remove(folder)


def write_text(path, text):
    """Write a small text file atomically (e.g. a batch summary)."""
    with atomic_path(path) as temp:
        temp.write_text(text, encoding="utf-8")
    return Path(path)


def remove_stale(folder, owns=None):
    """Delete temporaries left in ``folder`` by interrupted runs; returns how many.

    owns(name) -> bool : whether the temporary of the file ``name`` is this run's to remove
    (several runs may share a folder, each baking its own files); None: every temporary.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    count = 0
    for item in folder.iterdir():
        name = final_name(item.name)
        if name is not None and (owns is None or owns(name)):
            _remove(item)
            count += 1
    return count


def final_name(name):
    """The file a temporary ``.STEM.partial-PID.EXT`` (or folder ``.NAME.partial-PID``) is
    written for, or None when ``name`` is not a temporary."""
    match = _TEMPORARY.fullmatch(name)
    return match and match[1] + (match[2] or "")


_TEMPORARY = re.compile(r"\.(.+)" + re.escape(PARTIAL) + r"\d+(\.[^.]*)?")


def _remove(path):
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
