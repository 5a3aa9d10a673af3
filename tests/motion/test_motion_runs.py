"""Runs of equal labels: the one helper the feet, mouth cues, phonemes, speech activity and
script matching all cut their sequences with."""

import numpy as np

from talkrig.motion.runs import label_runs, true_runs


def test_runs_of_labels_cover_the_sequence_in_order():
    shapes = np.array([2, 2, 0, 0, 0, 5, 2])
    assert label_runs(shapes) == [(0, 2, 2), (2, 5, 0), (5, 6, 5), (6, 7, 2)]
    assert all(type(v) is int for run in label_runs(shapes) for v in run)  # plain Python values
    assert label_runs(["AA", "AA", "M", ""]) == [(0, 2, "AA"), (2, 3, "M"), (3, 4, "")]
    assert label_runs(np.array(["AA", "M", "M"], object)) == [(0, 1, "AA"), (1, 3, "M")]
    assert label_runs([(1, 1), (1, 1), (0, 2)]) == [(0, 2, (1, 1)), (2, 3, (0, 2))]
    assert label_runs(np.zeros(0)) == [] and label_runs([]) == []


def test_runs_of_true_flags():
    flags = np.array([1, 1, 0, 1, 0, 0, 1], bool)
    assert true_runs(flags) == [(0, 2), (3, 4), (6, 7)]
    assert true_runs(~flags) == [(2, 3), (4, 6)]
    assert true_runs(np.array([0.2, 0.0, 3.0])) == [(0, 1), (2, 3)]  # anything numpy reads as bool
    assert true_runs(np.zeros(4, bool)) == [] and true_runs([]) == []
