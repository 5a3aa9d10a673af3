"""Gaussian maps: a covariance's square root and the optimal-transport map between two, for one
matrix or a stack (the body layer's fit maps 48 joints' 3x3 covariances at once)."""

import numpy as np

from talkrig.motion.gaussian import psd_sqrt, transport_map


def _covariances(rng, count, n=3):
    a = rng.normal(size=(count, n, n))
    return a @ np.swapaxes(a, 1, 2) + 0.1 * np.eye(n)


def test_the_map_carries_one_covariance_onto_the_other_for_a_stack_as_for_each():
    rng = np.random.default_rng(0)
    source, target = _covariances(rng, 5), _covariances(rng, 5)
    maps = transport_map(source, target)
    np.testing.assert_allclose(maps @ source @ maps, target, atol=1e-9)  # A S A = T
    np.testing.assert_allclose(maps, np.swapaxes(maps, 1, 2), atol=1e-12)  # symmetric
    for k in range(5):
        np.testing.assert_allclose(transport_map(source[k], target[k]), maps[k], atol=1e-12)


def test_capped_gains_never_stretch_and_roots_square_back():
    rng = np.random.default_rng(1)
    source, target = _covariances(rng, 4), _covariances(rng, 4)
    capped = transport_map(source, 9.0 * target, max_gain=1.0)
    assert np.linalg.eigvalsh(capped).max() <= 1.0 + 1e-12
    root = psd_sqrt(target)
    np.testing.assert_allclose(root @ root, target, atol=1e-9)
    assert np.all(psd_sqrt(-np.eye(3)) == 0.0)  # a negative part is cut, not a NaN
