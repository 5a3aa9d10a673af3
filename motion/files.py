"""Load and save motion files by their extension (npz or BVH), and check where any output goes."""

import os
import tempfile
from pathlib import Path

from .errors import MotionFileError, OutputFileError
from .filechecks import not_a_file

READABLE = (".npz", ".bvh")
WRITABLE = (".npz", ".bvh")


def load_motion(path):
    """Read a motion file (.npz BEAT2/AMASS, or .bvh of the SMPL-X skeleton or another humanoid's)
    into a Motion."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        raise MotionFileError(path, f"unknown motion file type '{suffix}'; talkrig reads {', '.join(READABLE)}")
    problem = not_a_file(path)
    if problem:
        raise MotionFileError(path, problem)
    if suffix == ".npz":
        from .npz import read_npz

        return read_npz(str(path))
    from .bvh import read_bvh

    return read_bvh(path)


def take_files(folder, recursive=False):
    """The motion files of a folder of takes, sorted: each NAME.npz, and each NAME.bvh with no
    NAME.npz beside it (a take baked to both is one take)."""
    files = [p for p in (Path(folder).rglob if recursive else Path(folder).glob)("*.*")
             if p.suffix in (".npz", ".bvh")]  # one walk of the folder (a training tree is big)
    stems = {p.with_suffix("") for p in files if p.suffix == ".npz"}
    return sorted(p for p in files if p.suffix == ".npz" or p.with_suffix("") not in stems)


def save_motion(motion, path, **options):
    """Write a Motion to .npz (BEAT2 layout) or .bvh; options go to the BVH writer."""
    from .container import Motion

    if not isinstance(motion, Motion):
        raise TypeError(f"save_motion() takes a Motion (a take's .motion), got "
                        f"{type(motion).__name__}")
    path = check_output(path, WRITABLE)
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            from .npz import write_npz

            write_npz(motion, path)
        else:
            from .bvh import write_bvh

            write_bvh(motion, path, **options)
    except OSError as exc:
        raise OutputFileError(path, f"cannot write: {exc.strerror or exc}") from None
    return path


BAKED = (".fbx", ".glb", ".gltf", ".blend")  # the character files `talkrig bake` writes


def check_output(path, suffixes=None):
    """``path`` as a Path; OutputFileError unless a file (of one of ``suffixes``) can be written there.

    Commands call it before any slow work, so a mistyped or unwritable output name is
    reported at once instead of after the take is made (and lost).
    """
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        hint = (f"; `talkrig bake` animates a character from a recording or a take and writes "
                f"{path.suffix.lower()}" if path.suffix.lower() in BAKED else "")
        raise OutputFileError(path, f"cannot write '{path.suffix}' files; talkrig writes "
                                    f"{', '.join(suffixes)}{hint}")
    if path.is_dir():
        raise OutputFileError(path, "is a folder; give the name of a file to write")
    folder = path.parent
    if not folder.is_dir():
        reason = "is a file, not a folder" if folder.exists() else "does not exist"
        raise OutputFileError(path, f"folder {folder} {reason}")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputFileError(path, "the file is read-only")
    _try_writing_in(folder, path)
    return path


def check_output_folder(path):
    """``path`` as a Path to a folder that exists (made now if need be) and can be written in;
    OutputFileError otherwise. For commands that write many files (takes, models, batches)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputFileError(path, "is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputFileError(path, f"cannot make the folder: {exc.strerror or exc}") from None
    _try_writing_in(path, path)
    return path


def _try_writing_in(folder, path):
    """Permissions alone do not tell (root, read-only mounts, special file systems): try."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise OutputFileError(path, f"cannot write in folder {folder}: {exc.strerror or exc}") from None
