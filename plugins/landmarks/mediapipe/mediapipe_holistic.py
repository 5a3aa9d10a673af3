"""Body, hand and face landmarks with MediaPipe Holistic, offline on the CPU.

mediapipe 0.10.14 carries the Holistic models (pose with metric 3D world landmarks, both hands,
the face mesh) inside its wheel, so nothing is downloaded; later releases dropped them, hence
the pin. This is the only module that imports mediapipe.
"""

import importlib
import logging
import threading
import warnings

import numpy as np

from ....inference.capture.landmarks import FrameLandmarks
from ....inference.audio.native_output import native_stderr_off

log = logging.getLogger(__name__)

# protobuf's notice, once per frame through mediapipe's own calls: nothing a user can act on
warnings.filterwarnings("ignore", message=r"SymbolDatabase\.GetPrototype\(\) is deprecated", category=UserWarning)

# Face mesh vertex per FACE_POINTS entry (forehead, chin, inner upper and lower lip, the
# person's left and right mouth corners, outer eye corners, nose tip, cheeks).
FACE_MESH_INDEX = (10, 152, 13, 14, 291, 61, 263, 33, 1, 454, 234)


def _import_mediapipe():
    """mediapipe, imported on a thread of its own the first time.

    Its import keeps the exception of an optional import that failed (sounddevice without
    PortAudio) and, through its traceback, every frame of the stack it was imported from: on
    a capture's stack that would hold the first capture's frames, sound and upload for the life
    of the process. A fresh thread's stack holds nothing.
    """
    found = {}

    def run():
        try:
            found["module"] = importlib.import_module("mediapipe")
        except BaseException as exc:  # raised again on the caller's thread
            found["error"] = exc

    thread = threading.Thread(target=run, name="talkrig-import-mediapipe", daemon=True)
    thread.start()
    thread.join()
    if "error" in found:
        raise found["error"]
    return found["module"]


class MediapipeHolistic:
    """A tracking landmark detector: call :meth:`detect` on consecutive frames of one shot and
    :meth:`reset` at a camera cut (tracking then starts over from a fresh detection)."""

    name = "mediapipe"

    def __init__(self):
        self._holistic = None
        self._started = False

    @staticmethod
    def describe():
        return {"name": "mediapipe", "summary": "MediaPipe Holistic 0.10.14: 33 body points "
                "with metric 3D, 21 per hand, face mesh; CPU, models in the wheel"}

    def _model(self):
        # MediaPipe's own landmark smoothing off: the fit's motion term smooths with each
        # joint's confidence, and a second filter before it only lags the landmarks (the person
        # videos' elbows came out 0.2-1.2 degrees closer to the truth without it)
        if self._holistic is None:
            with native_stderr_off():
                mp = _import_mediapipe()
                self._holistic = mp.solutions.holistic.Holistic(
                    static_image_mode=False, model_complexity=1, smooth_landmarks=False,
                    refine_face_landmarks=False, enable_segmentation=False)
            self._started = False
        return self._holistic

    def reset(self):
        self.close()

    def close(self):
        if self._holistic is not None:
            self._holistic.close()
            self._holistic = None

    def detect(self, rgb):
        """FrameLandmarks of the person in ``rgb`` ((H, W, 3) uint8), or None if nobody."""
        height, width = rgb.shape[:2]
        model = self._model()
        if self._started:
            result = model.process(np.ascontiguousarray(rgb))
        else:  # the graph's calculators start on the first frame, each with a warning (8 lines
            # per shot with the XNNPACK delegate's note: hundreds over a lecture)
            with native_stderr_off():
                result = model.process(np.ascontiguousarray(rgb))
            self._started = True
        if result.pose_landmarks is None or result.pose_world_landmarks is None:
            return None
        scale = np.array([width, height, width], dtype=np.float64)
        body = result.pose_landmarks.landmark
        image = np.array([(p.x, p.y, p.z) for p in body]) * scale
        visibility = np.array([p.visibility for p in body])
        world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark])
        return FrameLandmarks(
            body_world=world, body_image=image, body_visibility=visibility,
            left_hand=_points(result.left_hand_landmarks, scale),
            right_hand=_points(result.right_hand_landmarks, scale),
            face=_points(result.face_landmarks, scale, FACE_MESH_INDEX))


def _points(landmarks, scale, index=None):
    if landmarks is None:
        return None
    points = landmarks.landmark
    if index is not None:
        points = [points[i] for i in index]
    return np.array([(p.x, p.y, p.z) for p in points]) * scale
