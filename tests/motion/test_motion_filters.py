"""The numpy filters give scipy.ndimage's results, border modes and odd and even windows
included, so that generation need not import scipy.ndimage (0.1 s of every process)."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.ndimage as ndimage

from talkrig.motion import filters

MODES = ("reflect", "mirror", "nearest", "wrap", "constant")
SHAPES = (((60,), 0), ((5,), 0), ((40, 3), 0), ((4, 30), 1), ((25, 3, 4), 0), ((25, 3, 4), -1))


def _same(ours, theirs):
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", (np.float64, np.float32))
def test_gaussian_and_running_mean_are_scipys_to_the_last_bit(mode, dtype):
    rng = np.random.default_rng(0)
    for shape, axis in SHAPES:
        x = rng.normal(size=shape).astype(dtype)
        for sigma in (0.4, 1.35, 4.0, 20.0):  # 20: the kernel reaches past the array's ends
            _same(filters.gaussian_filter1d(x, sigma, axis=axis, mode=mode, cval=0.5),
                  ndimage.gaussian_filter1d(x, sigma, axis=axis, mode=mode, cval=0.5))
        for size in (1, 2, 5, 21, 80):
            _same(filters.uniform_filter1d(x, size, axis=axis, mode=mode, cval=0.5),
                  ndimage.uniform_filter1d(x, size, axis=axis, mode=mode, cval=0.5))


@pytest.mark.parametrize("mode", MODES)
def test_running_extremes_and_percentiles_are_scipys(mode):
    rng = np.random.default_rng(1)
    for shape, axis in SHAPES:
        x = rng.normal(size=shape)
        footprint = [1] * x.ndim
        for size in (1, 2, 3, 8, 21, 80):
            footprint[axis] = size
            _same(filters.maximum_filter1d(x, size, axis=axis, mode=mode, cval=0.5),
                  ndimage.maximum_filter1d(x, size, axis=axis, mode=mode, cval=0.5))
            _same(filters.minimum_filter1d(x, size, axis=axis, mode=mode, cval=0.5),
                  ndimage.minimum_filter1d(x, size, axis=axis, mode=mode, cval=0.5))
            for percentile in (0, 15, 50, 99.5, 100) if size <= x.shape[axis] or mode in ("nearest", "constant") else ():
                _same(filters.percentile_filter1d(x, percentile, size, axis=axis, mode=mode, cval=0.5),
                      ndimage.percentile_filter(x, percentile, size=tuple(footprint), mode=mode, cval=0.5))
    flags = rng.random(30) > 0.5  # booleans and small integers keep their type
    _same(filters.maximum_filter1d(flags, 3, mode="constant"), ndimage.maximum_filter1d(flags, 3, mode="constant"))
    counts = (rng.random((30, 2)) > 0.5).astype(np.int8)
    _same(filters.minimum_filter1d(counts, 4, axis=0), ndimage.minimum_filter1d(counts, 4, axis=0))


def test_bad_arguments_are_clear_errors():
    x = np.zeros(10)
    with pytest.raises(ValueError, match="unknown filter mode 'edge'"):
        filters.gaussian_filter1d(x, 1.0, mode="edge")
    with pytest.raises(ValueError, match="at least 1"):
        filters.maximum_filter1d(x, 0)
    with pytest.raises(ValueError, match="within 0-100"):
        filters.percentile_filter1d(x, 140, 3)


def test_generating_a_take_does_not_import_scipy_ndimage(mfa_wav, mfa_textgrid):
    """What the filters are for: a take is generated, words, face and all, without it."""
    code = ("import sys, pathlib\n"
            "from talkrig.inference.generation.pipeline import GenerateOptions, generate\n"
            f"words = pathlib.Path({str(mfa_textgrid)!r}).read_text(encoding='utf-8')\n"
            f"generate({str(mfa_wav)!r}, GenerateOptions(transcript=words))\n"
            "print('scipy.ndimage' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
