"""The exact SMPL-X skeleton for a body shape, from the user's own SMPL-X model file.

SMPL-X model files are licensed by their owners and never shipped with talkrig: the user points
at the folder or file they downloaded. The file is read by the ``smplx`` package (and torch),
imported here only when the function is called; it lives outside ``talkrig.motion``, which
never imports torch (the Blender extension ships motion/ for Blender's own Python).

The rest joints are ``J_regressor @ (v_template + shapedirs[:, :, :B] . betas)``: the joints of
the shaped body in the T-pose, in the SMPL-X model frame (metres, y up), exactly what the
SMPL-X model poses. Expressions do not move the joints and are ignored.
"""

import contextlib
import io
import logging
from pathlib import Path

import numpy as np

from ..motion.errors import ModelFileError, TalkrigError
from ..motion.skeleton import NUM_JOINTS, PARENTS, Skeleton

log = logging.getLogger(__name__)

GENDERS = ("neutral", "male", "female")


def find_model_file(model_path, gender="neutral"):
    """The SMPL-X model file for ``gender`` at ``model_path``.

    model_path may be the file itself (``SMPLX_NEUTRAL.npz`` or ``.pkl``), the folder holding
    ``SMPLX_<GENDER>.npz``/``.pkl``, or the folder above it holding ``smplx/`` (the layout the
    smplx package documents).
    """
    path = Path(model_path).expanduser()
    gender = _check_gender(gender)
    if path.is_file():
        if path.suffix.lower() not in (".npz", ".pkl"):
            raise ModelFileError(path, "not an SMPL-X model file (expected .npz or .pkl)")
        return path
    if not path.exists():
        raise ModelFileError(path, "no such file or folder (point at your SMPL-X model folder "
                                   "or its SMPLX_NEUTRAL.npz)")
    wanted = [f"SMPLX_{gender.upper()}.{ext}" for ext in ("npz", "pkl")]
    for folder in (path, path / "smplx"):
        for name in wanted:
            if (folder / name).is_file():
                return folder / name
    raise ModelFileError(path, f"no {' or '.join(wanted)} in this folder or its smplx/ subfolder")


def skeleton_from_smplx(model_path, betas=None, gender="neutral"):
    """The rest Skeleton for ``betas`` from an SMPL-X model file, through the smplx package.

    Parameters
    ----------
    model_path : str or Path, see :func:`find_model_file`.
    betas : (B,) shape coefficients, or None for the mean shape. Only as many as the model
        has shape components are used (a warning says when betas are dropped).
    gender : "neutral", "male" or "female" (picks the file when model_path is a folder).

    Returns
    -------
    Skeleton with rest_positions (55, 3) in metres, SMPL-X model frame.
    """
    path = find_model_file(model_path, gender)
    betas = np.zeros(0) if betas is None else np.asarray(betas, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(betas)):
        raise ModelFileError(path, "betas hold a NaN or infinite value")
    smplx, torch = _import_smplx()
    from smplx.lbs import blend_shapes, vertices2joints

    n_betas = max(len(betas), 1)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):  # smplx prints warnings instead of logging
            model = smplx.SMPLX(str(path), gender=gender, num_betas=n_betas, use_pca=False,
                                ext=path.suffix.lower().lstrip("."), dtype=torch.float64)
    except (OSError, EOFError, ValueError, KeyError, AttributeError, IndexError, TypeError,
            RuntimeError, AssertionError) as exc:
        raise ModelFileError(path, f"not a readable SMPL-X model file ({type(exc).__name__}: "
                                   f"{exc})") from None
    for line in printed.getvalue().splitlines():
        log.info("smplx: %s", line)

    if model.J_regressor.shape[0] < NUM_JOINTS or model.parents.shape[0] < NUM_JOINTS:
        raise ModelFileError(path, f"the model has {model.J_regressor.shape[0]} joints, "
                                   f"not the {NUM_JOINTS} of SMPL-X")
    parents = model.parents.numpy()[:NUM_JOINTS]
    if not np.array_equal(parents, PARENTS):
        raise ModelFileError(path, "the model's joint tree is not the SMPL-X joint tree")
    used = min(len(betas), int(model.shapedirs.shape[-1]))
    if used < len(betas) and np.any(betas[used:] != 0):
        log.warning("%s has %d shape components; betas beyond them are ignored", path, used)
    shape = torch.zeros((1, model.shapedirs.shape[-1]), dtype=model.shapedirs.dtype)
    shape[0, :used] = torch.as_tensor(betas[:used], dtype=shape.dtype)
    with torch.no_grad():
        vertices = model.v_template[None] + blend_shapes(shape, model.shapedirs)
        joints = vertices2joints(model.J_regressor, vertices)[0, :NUM_JOINTS]
    return Skeleton(rest_positions=joints.numpy().astype(np.float64))


def _import_smplx():
    try:
        import smplx
        import torch
    except ImportError as exc:
        raise TalkrigError(
            f"exact SMPL-X skeletons need the smplx package and torch ({exc.name} is not "
            f"installed): pip install 'talkrig[smplx]'"
        ) from None
    return smplx, torch


def _check_gender(gender):
    gender = str(gender).lower()
    if gender not in GENDERS:
        raise TalkrigError(f"gender must be one of {', '.join(GENDERS)}, got {gender!r}")
    return gender
