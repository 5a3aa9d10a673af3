"""Cancellation and stage progress of a generation job: what the pipeline, the generators'
window drivers, the renderer, capture and the server's jobs share.

``progress(stage, fraction)`` callers see the overall fraction of the job, never decreasing;
``cancelled()`` is polled at stage and window boundaries and stops the work with JobCancelled.
"""

import numpy as np

from ..motion.errors import TalkrigError

# Share of the overall progress each stage takes (speech recognition dominates on long audio).
STAGES = (("decode", 0.03), ("features", 0.07), ("words", 0.30), ("generate", 0.45),
          ("keyposes", 0.03), ("face", 0.02), ("postprocess", 0.10))


class JobCancelled(TalkrigError):
    """The caller asked to stop; raised at the next stage or window boundary."""


def stage_spans():
    """{stage: (overall progress where it starts, its share of the whole job)} from STAGES."""
    spans, start = {}, 0.0
    for name, share in STAGES:
        spans[name] = (start, share)
        start += share
    return spans


class StageProgress:
    """Turns (stage, fraction of the stage) into (stage, overall fraction) and checks cancel."""

    def __init__(self, progress, cancelled):
        self.progress = progress
        self.cancelled = cancelled
        self.starts = {**stage_spans(), "done": (1.0, 0.0)}
        self.last = 0.0

    def __call__(self, stage, fraction):
        if self.cancelled is not None and self.cancelled():
            raise JobCancelled(f"cancelled before {stage}" if stage != "done" else "cancelled")
        start, share = self.starts.get(stage, (self.last, 0.0))
        overall = min(1.0, max(self.last, start + share * float(np.clip(fraction, 0.0, 1.0))))
        self.last = overall
        if self.progress is not None:
            self.progress(stage, overall)
