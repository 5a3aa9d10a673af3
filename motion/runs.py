"""Runs: the stretches of equal consecutive labels in a sequence (frames of one mouth shape,
frames a foot is planted, words matched one after another), found in one place."""

import numpy as np


def label_runs(labels):
    """[(start, stop, label), ...] of the stretches of equal consecutive ``labels``, in order.

    labels : (T,) numpy array, or any sequence of comparable items (strings, tuples). A numpy
    label comes back as a plain Python scalar. Empty input: [].
    """
    n = len(labels)
    if n == 0:
        return []
    if isinstance(labels, np.ndarray):
        changes = (np.flatnonzero(labels[1:] != labels[:-1]) + 1).tolist()
    else:
        changes = [k for k in range(1, n) if labels[k] != labels[k - 1]]
    starts, stops = [0, *changes], [*changes, n]
    return [(a, b, _plain(labels[a])) for a, b in zip(starts, stops)]


def _plain(label):
    """A numpy scalar as the Python value it holds; anything else as it is."""
    return label.item() if isinstance(label, np.generic) else label


def true_runs(flags):
    """[(start, stop), ...] of the runs of True in ``flags`` (T,) (anything numpy reads as bool)."""
    return [(a, b) for a, b, on in label_runs(np.asarray(flags, bool)) if on]
