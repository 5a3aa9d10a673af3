"""Symmetric matrix functions for Gaussians fitted to motion: the square root of a covariance
and the optimal-transport map between two centred Gaussians. Every function takes one matrix
(n, n) or a stack (..., n, n)."""

import numpy as np


def spectral(matrix, function):
    """``function`` applied to the eigenvalues of each symmetric matrix (its symmetric part)."""
    matrix = np.asarray(matrix, np.float64)
    values, vectors = np.linalg.eigh((matrix + np.swapaxes(matrix, -1, -2)) / 2.0)
    return (vectors * function(values)[..., None, :]) @ np.swapaxes(vectors, -1, -2)


def psd_sqrt(matrix):
    """The symmetric square root of each positive semi-definite matrix (negative parts cut)."""
    return spectral(matrix, lambda values: np.sqrt(np.clip(values, 0.0, None)))


def transport_map(source_cov, target_cov, max_gain=np.inf):
    """The optimal-transport (Monge) map between centred Gaussians: the symmetric A with
    A S A = T, A = S^-1/2 (S^1/2 T S^1/2)^1/2 S^-1/2, the least change of every sample that
    gives it the target's covariance; its gains (eigenvalues) capped at ``max_gain``."""
    root = psd_sqrt(source_cov)
    inverse = np.linalg.pinv(root)
    return spectral(inverse @ psd_sqrt(root @ target_cov @ root) @ inverse,
                    lambda values: np.minimum(values, max_gain))
