"""The live stream's "frames" messages (JSON, see inference/server/live.py) back into a Motion:
what ``talkrig live --out`` saves and what the add-on's live mode poses the rig with."""

import numpy as np

from .container import Motion


def received_motion(messages, picks=None):
    """A Motion (with face curves when the frames carry them) from "frames" messages, in order.

    picks : None for every frame, else [(message index, frame index in it)] (e.g. the newest
        frame: [(-1, -1)]).
    """
    frames = [m for m in messages if m.get("type", "frames") == "frames"]
    if picks is None:
        picks = [(i, k) for i, m in enumerate(frames) for k in range(len(m["times"]))]

    def column(key):
        rows = [frames[i].get(key, [])[k] if frames[i].get(key) else [] for i, k in picks]
        return np.asarray(rows, np.float32).reshape(len(rows), -1)

    n = len(picks)
    curves = column("face_curves")
    names = tuple(frames[picks[0][0]].get("face_names") or ())
    if curves.shape[1] != len(names):
        curves, names = None, ()
    return Motion(poses=column("poses").reshape(n, -1, 3), trans=column("trans"),
                  expressions=column("expressions"), fps=frames[0]["fps"], face_curves=curves,
                  face_names=names)
