"""Body, hand and face landmarks of one person per video frame: the input of the fit.

A landmark detector plugin (entry-point group ``talkrig.landmarks``) turns an RGB frame into a
:class:`FrameLandmarks` in the layout below; :class:`Landmarks` stacks frames into arrays with
NaN where a part was not seen. The layout is the one of the BlazePose/MediaPipe topologies
(33 body points with metric 3D coordinates, 21 points per hand, named face points), so any
detector producing it can drive the fit.

Image coordinates are pixels (x right, y down) with a depth coordinate z in the same pixel
scale (larger = further from the camera, relative to the part's own reference point). Metric
body coordinates are metres around the hip midpoint, camera axes (x right, y down, z away).
"""

from dataclasses import dataclass, field

import numpy as np

from ..registry import LANDMARKS, PluginKind

# Body points (BlazePose topology).
NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR = 0, 2, 5, 7, 8
LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_ELBOW, RIGHT_ELBOW = 11, 12, 13, 14
LEFT_WRIST, RIGHT_WRIST = 15, 16
LEFT_HIP, RIGHT_HIP, LEFT_KNEE, RIGHT_KNEE, LEFT_ANKLE, RIGHT_ANKLE = 23, 24, 25, 26, 27, 28
LEFT_HEEL, RIGHT_HEEL, LEFT_TOE, RIGHT_TOE = 29, 30, 31, 32
N_BODY = 33

# Hand points: wrist, then four per finger from the base (thumb: CMC, MCP, IP, tip).
N_HAND = 21
HAND_WRIST = 0
HAND_FINGERS = {"thumb": (1, 2, 3, 4), "index": (5, 6, 7, 8), "middle": (9, 10, 11, 12),
                "ring": (13, 14, 15, 16), "pinky": (17, 18, 19, 20)}

# Face points the fit uses, in this order.
FACE_POINTS = ("forehead", "chin", "upper_lip", "lower_lip", "mouth_left", "mouth_right",
               "left_eye_outer", "right_eye_outer", "nose_tip", "left_cheek", "right_cheek")
FACE = {name: i for i, name in enumerate(FACE_POINTS)}
N_FACE = len(FACE_POINTS)

# Detectors: ``Cls()`` with ``detect(rgb) -> FrameLandmarks or None``, ``reset()`` at a camera
# cut and ``close()``; a new one per video (it tracks from frame to frame).
LANDMARK_DETECTOR = PluginKind(LANDMARKS, "landmark detector")


@dataclass
class FrameLandmarks:
    """What a detector saw in one frame; a part is None when it was not found.

    body_world : (33, 3) metres, hip-centred, camera axes.
    body_image : (33, 3) pixels (x, y, z).
    body_visibility : (33,) in [0, 1].
    left_hand, right_hand : (21, 3) pixels, the person's own left and right hand.
    face : (N_FACE, 3) pixels, FACE_POINTS order.
    """

    body_world: np.ndarray = None
    body_image: np.ndarray = None
    body_visibility: np.ndarray = None
    left_hand: np.ndarray = None
    right_hand: np.ndarray = None
    face: np.ndarray = None


@dataclass
class Landmarks:
    """Landmarks of T frames (NaN where not seen).

    body_world : (T, 33, 3); body_image : (T, 33, 3); visibility : (T, 33) (0 when not seen).
    hands : (T, 2, 21, 3) pixels, [:, 0] left hand, [:, 1] right hand.
    face : (T, N_FACE, 3) pixels.
    size : (width, height) of the frames in pixels; fps : frames per second.
    detector : the name of the detector that saw them ("" when unknown), whose own errors the
        fit may know (:mod:`.lift`).
    """

    body_world: np.ndarray
    body_image: np.ndarray
    visibility: np.ndarray
    hands: np.ndarray
    face: np.ndarray
    size: tuple = (0, 0)
    fps: float = 30.0
    times: np.ndarray = field(default=None)
    detector: str = ""

    @property
    def n_frames(self):
        return len(self.visibility)

    @property
    def body_seen(self):
        return np.isfinite(self.body_world[:, 0, 0])

    @property
    def hand_seen(self):
        """(T, 2) left/right hand found."""
        return np.isfinite(self.hands[:, :, 0, 0])

    @property
    def face_seen(self):
        return np.isfinite(self.face[:, 0, 0])

    @classmethod
    def empty(cls, n, size=(0, 0), fps=30.0):
        nan = np.nan
        return cls(body_world=np.full((n, N_BODY, 3), nan), body_image=np.full((n, N_BODY, 3), nan),
                   visibility=np.zeros((n, N_BODY)), hands=np.full((n, 2, N_HAND, 3), nan),
                   face=np.full((n, N_FACE, 3), nan), size=tuple(size), fps=float(fps),
                   times=np.arange(n) / float(fps))

    @classmethod
    def stack(cls, frames, size, fps, times=None, detector=""):
        """Landmarks from a list of FrameLandmarks (or None for a frame without a person)."""
        out = cls.empty(len(frames), size, fps)
        out.detector = str(detector)
        if times is not None:
            out.times = np.asarray(times, dtype=np.float64)
        for t, f in enumerate(frames):
            if f is None:
                continue
            if f.body_world is not None:
                out.body_world[t] = f.body_world
                out.body_image[t] = f.body_image
                out.visibility[t] = f.body_visibility
            if f.left_hand is not None:
                out.hands[t, 0] = f.left_hand
            if f.right_hand is not None:
                out.hands[t, 1] = f.right_hand
            if f.face is not None:
                out.face[t] = f.face
        return out

    def select(self, frames):
        """The landmarks of some frames (an index array or slice), as a new Landmarks."""
        return Landmarks(body_world=self.body_world[frames], body_image=self.body_image[frames],
                         visibility=self.visibility[frames], hands=self.hands[frames],
                         face=self.face[frames], size=self.size, fps=self.fps,
                         times=None if self.times is None else self.times[frames],
                         detector=self.detector)

    def forget(self, frames):
        """Mark ``frames`` (bool mask or indices) as not seen: another person was detected."""
        self.body_world[frames] = np.nan
        self.body_image[frames] = np.nan
        self.visibility[frames] = 0.0
        self.hands[frames] = np.nan
        self.face[frames] = np.nan

    def to_arrays(self):
        return {"body_world": self.body_world, "body_image": self.body_image,
                "visibility": self.visibility, "hands": self.hands, "face": self.face,
                "size": np.array(self.size), "fps": np.array(self.fps), "times": self.times,
                "detector": np.array(self.detector)}

    @classmethod
    def from_arrays(cls, a):
        return cls(body_world=a["body_world"], body_image=a["body_image"],
                   visibility=a["visibility"], hands=a["hands"], face=a["face"],
                   size=tuple(int(v) for v in a["size"]), fps=float(a["fps"]),
                   times=a["times"],
                   detector=str(a["detector"]) if "detector" in a else "")
