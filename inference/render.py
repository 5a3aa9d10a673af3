"""Render a take as a video: its skeleton pass through a camera, each label image through a
renderer plugin, the frames written as an MP4 (H.264) with the speech muxed in (AAC).

    renderer = load_renderer("skeleton")          # or a trained renderer's folder
    render_motion(motion, camera, renderer, "take.mp4", audio="speech.wav")

Renderers are plugins of the ``talkrig.renderers`` entry-point group: a class built as
``Cls(model_dir)`` with ``name``, ``size`` ((width, height), or None for one that renders at
any size), ``render(labels) -> iterator of frames`` (stateful across frames) and ``close()``.
A renderer that declares ``wants_joints = True`` is called ``render(labels, joints=joints)``
with the (N, 55, 2) label-pixel joints the labels were drawn from (``project_take``): a
renderer that moves pixels of the person to the pose needs the joints, not only their picture.
A trained renderer's folder names its plugin in ``talkrig_model.json`` ("backend"); a renderer
may have a ``camera`` (the one its training video was filmed through), used when none is given.

The video is encoded with PyAV (the ``capture`` extra, which brings its own FFmpeg with
libx264 and AAC): no program needs to be on PATH. It is written under a temporary name and
renamed when complete, so a cancelled or failed render never leaves a half-written file.
"""

import logging
import os
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..motion.camera import upper_body_camera
from ..motion.errors import TalkrigError
from ..motion.jsonfile import JsonFileError, read_json
from ..motion.skeleton_pass import draw_skeleton_pass, project_take
from .progress import JobCancelled
from .registry import RENDERERS, PluginError, PluginKind

log = logging.getLogger(__name__)

DEFAULT_RENDERER = "skeleton"
DEFAULT_SIZE = (512, 512)
MODEL_METADATA = "talkrig_model.json"
MAX_SIDE = 4096
CRF = 18  # H.264 quality: visually lossless for label images and renderer output


class RenderError(TalkrigError):
    """A renderer cannot be loaded or misbehaves, or the video cannot be written."""


def _check_renderer(obj):
    if not isinstance(obj, type):
        raise TypeError("a renderer plugin must be a class built as Cls(model_dir)")
    missing = [attr for attr in ("name", "size", "render", "close") if not hasattr(obj, attr)]
    if missing:
        raise TypeError(f"a renderer plugin needs {', '.join(missing)}")


RENDERER = PluginKind(RENDERERS, "renderer", _check_renderer)


def renderers(refresh=False):
    """{name: PluginEntry} of the installed renderer plugins."""
    return RENDERER.entries(refresh)


def resolve_renderer(spec):
    """(plugin name, model folder or None) for ``spec``: a plugin name, or the folder of a
    trained renderer (its ``talkrig_model.json`` names the plugin). Empty: the skeleton."""
    spec = str(spec or "").strip() or DEFAULT_RENDERER
    path = Path(spec).expanduser()
    looks_like_path = os.sep in spec or "/" in spec or spec.startswith(".") or path.exists()
    if not looks_like_path:
        return spec, None
    if not path.is_dir():
        raise RenderError(f"renderer {spec}: no such folder (give a trained renderer's folder "
                          f"or a renderer name such as '{DEFAULT_RENDERER}')")
    meta = path / MODEL_METADATA
    if not meta.exists():
        raise RenderError(f"renderer {spec}: the folder holds no {MODEL_METADATA}; it is not a "
                          "trained renderer (train one with `talkrig train-renderer`)")
    try:
        data = read_json(meta, "model description")
        name = data["backend"]
    except JsonFileError as exc:
        raise RenderError(f"renderer {spec}: cannot read {MODEL_METADATA} "
                          f"({str(exc).removeprefix(f'{meta}: ')})") from None
    except (KeyError, TypeError) as exc:
        raise RenderError(f"renderer {spec}: {MODEL_METADATA} names no renderer ({exc})") from None
    if not isinstance(name, str) or not name:
        raise RenderError(f"renderer {spec}: {MODEL_METADATA} does not name its renderer")
    return name, path


def load_renderer(spec, entries=None):
    """A ready renderer for ``spec`` (see :func:`resolve_renderer`); RenderError/PluginError
    with one line when it is unknown, unavailable or its model folder is bad."""
    name, folder = resolve_renderer(spec)
    cls = RENDERER.require(name, entries)
    try:
        return cls(folder)
    except TalkrigError:
        raise
    except Exception as exc:  # a plugin failing to start must not crash the caller
        where = f" from {folder}" if folder else ""
        raise PluginError(f"renderer '{name}' failed to start{where}: "
                          f"{type(exc).__name__}: {exc}") from None


def parse_size(text, option="--size"):
    """'512x512' -> (512, 512): the one rule for every frame size a user types (``render
    --size``, ``bake``/``bake-batch --preview-size``, the API's ``size``): WIDTHxHEIGHT, both
    sides even (H.264 needs them so) and from 16 to MAX_SIDE pixels; RenderError (naming
    ``option``) for anything else. None (the option not given) -> None: the caller's default."""
    if text is None:
        return None
    width, sep, height = str(text).lower().partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        size = None
    if not sep or size is None:
        raise RenderError(f"{option} must look like 512x512, got {text!r}")
    return check_size(size, option)


def check_size(size, what="size"):
    w, h = (int(v) for v in size)
    if min(w, h) < 16 or max(w, h) > MAX_SIDE or w % 2 or h % 2:
        raise RenderError(f"{what} must be even numbers of pixels from 16 to {MAX_SIDE} "
                          f"(H.264 needs even sides), got {w}x{h}")
    return w, h


def render_size(renderer, size=None, camera=None):
    """The frame size: the renderer's own when it has one (a different ``size`` is an error),
    else ``size``, else the camera's, else DEFAULT_SIZE."""
    own = getattr(renderer, "size", None)
    if own is not None:
        own = tuple(int(v) for v in own)
        if size is not None and tuple(size) != own:
            raise RenderError(f"renderer '{renderer.name}' renders at {own[0]}x{own[1]} only; "
                              f"leave out the size (asked {size[0]}x{size[1]})")
        return own
    if size is not None:
        return check_size(size)
    if camera is not None:
        return check_size((camera.width - camera.width % 2, camera.height - camera.height % 2),
                          "the camera's image size")
    return DEFAULT_SIZE


def render_motion(motion, camera, renderer, out_path, audio=None, progress=None, cancelled=None,
                  size=None, shot=True):
    """Render ``motion`` through ``renderer`` into ``out_path`` (.mp4); returns its Path.

    camera : motion.camera.Camera the take is seen through (None: the renderer's own
        ``camera``, the one its training video was filmed through, when it has one, else
        :func:`upper_body_camera` at the frame size). A camera of another shape is scaled to
        the frame's height and centred (the drawer's ``fit_to_size``).
    renderer : a loaded renderer (:func:`load_renderer`); the caller closes it.
    audio : speech to mux in: a path, or a DecodedAudio (None: a silent video).
    progress(stage, fraction) : "render" with the share of frames written.
    cancelled() : polled between frames; True stops with JobCancelled (nothing is written).
    size : (width, height) for renderers that render at any size (see :func:`render_size`).
    shot : a renderer that keeps the shot it was trained on (``shot_size``, ``to_shot``) paints
        each picture back into it, at the training video's own size; False: its own picture.
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() != ".mp4":
        raise RenderError(f"{out_path}: the rendered video is an .mp4")
    if not out_path.parent.is_dir():
        raise RenderError(f"{out_path}: folder {out_path.parent} does not exist")
    size = render_size(renderer, size, camera)
    if camera is None:
        camera = getattr(renderer, "camera", None) or upper_body_camera(motion, size)
    sound = None if audio is None else check_speech(audio, motion.duration)
    av = _pyav()
    joints = project_take(motion, camera, size)
    labels = (draw_skeleton_pass(j, size) for j in joints)
    if getattr(renderer, "wants_joints", False):
        frames = renderer.render(labels, joints=joints)
    else:
        frames = renderer.render(labels)
    into_shot = shot and getattr(renderer, "shot_size", None) is not None
    width, height = renderer.shot_size if into_shot else size
    temp = out_path.with_name(f".{out_path.stem}.partial-{os.getpid()}.mp4")
    try:
        with av.open(str(temp), "w", format="mp4") as container:
            video = container.add_stream("libx264", rate=Fraction(motion.fps).limit_denominator(1001))
            video.width, video.height = width, height
            video.pix_fmt = "yuv420p"
            video.options = {"crf": str(CRF), "preset": "veryfast"}
            speech = _speech_stream(container, sound) if sound is not None else None
            written = 0
            for frame in frames:
                if cancelled is not None and cancelled():
                    raise JobCancelled("cancelled")
                _check_frame(frame, size, renderer, written)
                if into_shot:
                    frame = renderer.to_shot(frame)
                for packet in video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
                written += 1
                if progress is not None:
                    progress("render", written / motion.n_frames)
                if written == motion.n_frames:
                    break
            if written < motion.n_frames:
                raise RenderError(f"renderer '{renderer.name}' stopped after {written} of "
                                  f"{motion.n_frames} frames")
            for packet in video.encode():
                container.mux(packet)
            if speech is not None:
                _mux_speech(av, container, speech, sound)
        os.replace(temp, out_path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    log.info("rendered %s: %d frames at %dx%d through %s%s", out_path, motion.n_frames,
             width, height, renderer.name, " with speech" if sound is not None else "")
    return out_path


def _pyav():
    try:
        import av
    except ImportError:
        raise RenderError("writing the video needs PyAV: pip install 'talkrig[capture]'") from None
    return av


def check_speech(audio, seconds):
    """The speech to go with a take of ``seconds`` decoded (AudioError when it is not sound).
    It may be as long as the generator's longest recording or a minute past the take, no
    longer: a header claiming days of sound is refused before anything is decoded."""
    from .audio.decode import MAX_SECONDS, decode_audio

    return decode_audio(audio, max_seconds=max(MAX_SECONDS, seconds + 60.0))


def _check_frame(frame, size, renderer, index):
    w, h = size
    if not isinstance(frame, np.ndarray) or frame.shape != (h, w, 3) or frame.dtype != np.uint8:
        got = (f"{frame.dtype} {frame.shape}" if isinstance(frame, np.ndarray)
               else type(frame).__name__)
        raise RenderError(f"renderer '{renderer.name}' gave frame {index} as {got}; "
                          f"expected uint8 ({h}, {w}, 3)")


def _speech_stream(container, sound):
    """An AAC stream for the speech (mono, at the decoded rate), added before any muxing."""
    stream = container.add_stream("aac", rate=sound.sample_rate)
    stream.layout = "mono"
    return stream


def _mux_speech(av, container, stream, sound):
    frame = av.AudioFrame.from_ndarray(np.clip(sound.samples, -1.0, 1.0)[None], format="flt",
                                       layout="mono")
    frame.sample_rate = sound.sample_rate
    for packet in stream.encode(frame):
        container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
