"""The thin wrappers behind the Python API (``import talkrig``; see docs/python.md).

Most public names are the project's own objects, re-exported by the package root as they are
(``talkrig.bake`` is ``exporters.bake.bake``). Three calls take their arguments the way a
script writes them, so they get a wrapper here:

- :func:`generate` takes the generation options as keywords (``backend="procedural",
  seed=0``) as well as a ``GenerateOptions``;
- :func:`capture_video` checks the video and makes the takes' folder, as ``talkrig capture``
  does, and takes a landmark detector by name;
- :func:`render_motion` takes a motion file, a renderer name or folder and a camera file, loads
  them and closes the renderer it loaded, as ``talkrig render`` does.

This module imports the standard library only when it loads: each wrapper imports what it
needs when it is called, so ``import talkrig`` stays light (Blender imports the package root).
"""

import os
from contextlib import closing, nullcontext

__all__ = ["generate", "capture_video", "render_motion"]


def generate(audio, options=None, *, progress=None, cancelled=None, **fields):
    """Generate SMPL-X motion for the speech in ``audio``; returns a ``GenerateResult``.

    audio : a path to a recording (wav, flac, mp3, ... or a video's sound track), the file's
        bytes, or decoded samples (whatever ``inference.generation.pipeline.generate`` takes).
    options : a :class:`GenerateOptions`, a dict of its fields, or None (the defaults).
    fields : GenerateOptions fields given as keywords (``backend="procedural", seed=0,
        transcript="...", fps=30``); they override the same fields of ``options``. A name
        that is not a field raises TalkrigError naming it and listing the valid ones.
    progress(stage, fraction), cancelled() : as the pipeline's (cancelling raises
        ``JobCancelled``).

    The result has ``.motion`` (a :class:`Motion` with ``frame_count(duration, fps)`` frames:
    round(seconds of audio x fps), at least one), ``.words`` (the timed words heard or aligned,
    ``Word`` objects; empty when no speech engine ran), ``.features`` (the audio features
    the generator was given) and ``.notices`` (warnings about the words a person should read,
    one line each, also logged: e.g. speech judged not English, whose words were not kept).
    Every bad input raises a TalkrigError with a message to act on.
    """
    from .inference.generation.pipeline import as_options
    from .inference.generation.pipeline import generate as run_pipeline

    options = as_options(options, **fields)
    return run_pipeline(audio, options, progress=progress, cancelled=cancelled)


def capture_video(video, out_dir, *, fps=30.0, start=0.0, end=None, detector=None, name=None,
                  overwrite=False, progress=None, cancelled=None, max_seconds=None, lens=None):
    """Capture a video of a speaker into takes in ``out_dir`` (made if need be); returns a
    ``CaptureResult`` (``.takes``: the written NAME.npz paths, each with its NAME.wav speech
    and NAME.camera.json beside it; ``.skipped``: the shots left out, each with its reason).

    detector : a landmark detector plugin's name (None: "mediapipe") or a detector object of
        your own (left open for the next video; close it when done).
    fps, start, end, name, overwrite, progress, cancelled, max_seconds, lens : as
        ``inference.capture.pipeline.capture_video``; a video captured before (its
        NAME.capture.json is there) is not captured again unless ``overwrite``.
    Raises CaptureError for a video that is missing, unreadable, silent, too short or shows
    nobody, OutputFileError for a folder that cannot be written in, TalkrigError for a lens out
    of range.
    """
    from .inference.capture.errors import CaptureError
    from .inference.capture.pipeline import capture_video as capture
    from .inference.capture.pipeline import default_detector
    from .motion.files import check_output_folder, not_a_file
    from .motion.lens import check_lens

    lens = check_lens(lens)
    problem = not_a_file(video)
    if problem:
        raise CaptureError(video, problem)
    out_dir = check_output_folder(out_dir)
    own = detector is None or isinstance(detector, str)
    if own:
        detector = default_detector(detector or "mediapipe")
    try:
        return capture(video, out_dir, fps=fps, start=start, end=end, detector=detector,
                       progress=progress, name=name, overwrite=overwrite, cancelled=cancelled,
                       max_seconds=max_seconds, lens=lens)
    finally:
        if own:
            detector.close()


def render_motion(motion, out_path, renderer="skeleton", *, camera=None, audio=None, size=None,
                  progress=None, cancelled=None, shot=True):
    """Render a take into ``out_path`` (.mp4, H.264, with the speech when ``audio`` is given);
    returns its Path.

    motion : a :class:`Motion` (or what :func:`generate` returned), or a motion file (.npz,
        .bvh) to read.
    renderer : a renderer plugin's name ("skeleton", the built-in label drawer), a trained
        renderer's folder, or a renderer already loaded (``inference.render.load_renderer``,
        left open). One loaded here is closed when the video is written.
    camera : a ``motion.camera.Camera``, a camera file (NAME.camera.json, as capture writes),
        or None (the renderer's own camera, else one framing the upper body).
    audio : speech to mux in (a path, or decoded audio), or None for a silent video.
    size : (width, height) or "WIDTHxHEIGHT" for renderers that render at any size.
    shot : a trained renderer paints into its training video's shot, at that video's size;
        False: its own (square) picture.
    progress(stage, fraction), cancelled() : as ``inference.render.render_motion``.
    Raises RenderError (or another TalkrigError) with a message to act on.
    """
    from pathlib import Path

    from .inference.render import RenderError, load_renderer, parse_size
    from .inference.render import render_motion as render
    from .motion import Motion, load_motion
    from .motion.container import motion_of
    from .motion.camera import Camera
    from .motion.files import check_output

    check_output(out_path)
    if isinstance(audio, (str, os.PathLike)) and not Path(audio).is_file():
        raise RenderError(f"{audio}: no such audio file")
    if camera is not None and not isinstance(camera, Camera):
        if not Path(camera).is_file():
            raise RenderError(f"{camera}: no such camera file")
        camera = Camera.load(camera)
    if isinstance(size, str):
        size = parse_size(size, "size")
    motion = motion_of(motion)
    if not isinstance(motion, Motion):
        motion = load_motion(motion)
    own = renderer is None or isinstance(renderer, (str, os.PathLike))
    loaded = load_renderer(renderer) if own else renderer
    with closing(loaded) if own else nullcontext():
        return render(motion, camera, loaded, out_path, audio=audio, progress=progress,
                      cancelled=cancelled, size=size, shot=shot)
