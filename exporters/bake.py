"""Headless bake: speech (or a motion file) -> avatar -> keyframes -> FBX/glTF/BVH/npz/.blend.

    report = bake(BakeJob("speech.wav", ["out/take.glb", "out/take.fbx"], preview="out/take.mp4"))
    report.timings   # seconds per stage: generate, load avatar, retarget+keys, export, preview

Stages: generate the motion with the inference pipeline (or read a .npz/.bvh), load the avatar
in the bpy module, retarget and key it as a new Action, export every output, render the
preview. An .npz output is the SMPL-X motion itself and a .json/.tsv output its 2D mouth-cue
track (motion.mouthcues); they need no Blender; everything else imports bpy on first use. Every output is written atomically (:mod:`.atomic`).
"""

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..motion import Motion, load_motion, resample, save_motion
from ..motion.container import motion_of
from ..motion.files import check_output, not_a_file
from ..motion.mouthcues import CUE_FORMATS, write_mouth_cues
from ..motion.retarget.settings import RetargetSettings
from .atomic import atomic_path
from .errors import BakeError

log = logging.getLogger(__name__)

MOTION_TYPES = (".npz", ".bvh")
OUTPUT_TYPES = (".fbx", ".glb", ".gltf", ".bvh", ".npz", ".blend", ".json", ".tsv")
NO_BLENDER_TYPES = (".npz", ".json", ".tsv")  # the motion and its mouth cues, written directly


@dataclass
class BakeJob:
    """One bake.

    source : speech recording, or a motion file (.npz BEAT2/AMASS, .bvh SMPL-X) to put on
        the avatar as it is, or a Motion in memory (a GenerateResult stands for its motion:
        ``bake(BakeJob(talkrig.generate(...), ...))``; give ``audio`` for the preview's sound).
    outputs : files to write; the type comes from each suffix (OUTPUT_TYPES).
    avatar : .glb/.gltf/.vrm/.fbx/.blend with a rigged character (None: the bundled avatar).
    bone_map : "auto", a preset name or a bone map .json file.
    preview : .mp4 to render the avatar speaking into (None: no preview). preview_processes : 2
        renders it in two Blender processes at once where that pays (exporters/split_render.py).
    options : inference.generation.pipeline.GenerateOptions for audio sources (None: the defaults). For a
        motion file only its fps is used (None: keep the file's rate): the motion is resampled
        when it differs.
    audio : speech to put in the preview and .blend when the source is a motion file.
    name : name of the take (Action, FBX take, glTF animation); default: the first output's stem.
    retarget : how the take goes on the rig, a ``motion.retarget.RetargetSettings``.
    render : .mp4 to render the take into through a renderer (``inference.render``), with the
        speech; needs no avatar. renderer : its name or trained folder; render_camera : a
        motion.camera.Camera (None: framing the upper body); render_size : (width, height).
    """

    source: Path
    outputs: list
    avatar: Path = None
    bone_map: str = "auto"
    preview: Path = None
    options: object = None
    audio: Path = None
    name: str = None
    armature: str = None
    fbx_target: str = "blender"
    preview_size: tuple = None  # (width, height); None: 480 tall, as wide as the body needs
    preview_processes: int = 2  # 2: rendered by two Blender processes where it pays; 1: by this one
    retarget: RetargetSettings = field(default_factory=RetargetSettings)
    render: Path = None
    renderer: str = "skeleton"
    render_camera: object = None
    render_size: tuple = None

    def __post_init__(self):
        self.source = motion_of(self.source)
        if not isinstance(self.source, Motion):
            self.source = Path(self.source)
        if isinstance(self.outputs, (str, os.PathLike)):  # one file named alone
            self.outputs = [self.outputs]
        self.outputs = [Path(p) for p in self.outputs]
        if self.options is not None:  # a dict of its fields is read as the Python API reads it
            from ..inference.generation.pipeline import as_options

            self.options = as_options(self.options)
        self.avatar = Path(self.avatar) if self.avatar else None
        self.preview = Path(self.preview) if self.preview else None
        self.audio = Path(self.audio) if self.audio else None
        self.render = Path(self.render) if self.render else None


@dataclass
class BakeReport:
    """What a headless bake wrote and how it went (the take on the rig is a KeyedTake)."""

    outputs: list
    n_frames: int
    fps: float
    timings: dict = field(default_factory=dict)
    words: int = 0
    bone_map: object = None  # BoneMap, when an avatar was used
    plan: object = None  # the RetargetPlan used (its report() lists the map and twist bones)
    notes: list = field(default_factory=list)  # where the keys and the travel went
    notices: list = field(default_factory=list)  # warnings about the words (GenerateResult's)

    @property
    def duration(self):
        return self.n_frames / self.fps


BakeResult = BakeReport  # its name before the keyed take had its own type; kept for one release


def check_job(job):
    """Raise BakeError for anything wrong that needs no work to find (types, folders)."""
    if not isinstance(job, BakeJob):
        raise TypeError(f"bake() takes a BakeJob, got {type(job).__name__}: "
                        "talkrig.bake(talkrig.BakeJob('speech.wav', ['take.glb']))")
    if not job.outputs and not job.preview and not job.render:
        raise BakeError("nothing to write: give at least one output file, a preview or a render")
    if not isinstance(job.source, Motion) and not_a_file(job.source):
        raise BakeError(f"{job.source}: {not_a_file(job.source)}")
    seen = set()
    videos = [p for p in (job.preview, job.render) if p is not None]
    for path in job.outputs + videos:
        suffix = path.suffix.lower()
        if path is job.render and suffix != ".mp4":
            raise BakeError(f"{path}: the render is an .mp4 video")
        if path not in videos and suffix not in OUTPUT_TYPES:
            raise BakeError(f"{path}: cannot write '{suffix}' files; talkrig bakes to "
                            f"{', '.join(OUTPUT_TYPES)}")
        if path is job.preview and suffix != ".mp4":
            raise BakeError(f"{path}: the preview is an .mp4 video")
        check_output(path)
        if path.resolve() in seen:
            raise BakeError(f"{path} is named twice")
        seen.add(path.resolve())
    if job.audio is not None and not job.audio.is_file():
        raise BakeError(f"{job.audio}: no such audio file")


def needs_blender(job):
    return job.preview is not None or any(p.suffix.lower() not in NO_BLENDER_TYPES
                                          for p in job.outputs)


def bake(job, progress=None):
    """Carry out ``job``; returns a BakeReport. progress(stage, fraction) as work advances."""
    check_job(job)
    renderer = _renderer(job)
    try:
        return _bake(job, progress, renderer)
    finally:
        if renderer is not None:
            renderer.close()


def _renderer(job):
    """The job's renderer, loaded before any work so a bad one fails at once."""
    if job.render is None:
        return None
    from ..inference.render import load_renderer, render_size

    renderer = load_renderer(job.renderer)
    try:
        render_size(renderer, job.render_size, job.render_camera)
    except BaseException:
        renderer.close()
        raise
    return renderer


def _bake(job, progress, renderer):
    report = progress or (lambda stage, fraction: None)
    timings = {}
    clock = time.perf_counter()

    def lap(stage):
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock
        clock = now

    motion, words, audio, notices = _motion(job, report)
    lap("generate" if audio == job.source else "read motion")
    for path in job.outputs:
        suffix = path.suffix.lower()
        if suffix == ".npz":
            with atomic_path(path) as temp:
                save_motion(motion, temp)
        elif suffix in CUE_FORMATS:
            with atomic_path(path) as temp:
                write_mouth_cues(motion, temp, sound_file=Path(audio).name if audio else "")
    lap("export")
    result = BakeReport(outputs=list(job.outputs), n_frames=motion.n_frames, fps=motion.fps,
                        words=words, notices=notices)
    if needs_blender(job):
        _bake_on_avatar(job, motion, audio, report, lap, result)
    if renderer is not None:
        from ..inference.render import render_motion

        render_motion(motion, job.render_camera, renderer, job.render, audio=audio,
                      progress=report, size=job.render_size)
        lap("render")
    result.timings = timings
    report("done", 1.0)
    return result


def _motion(job, report):
    """(Motion, number of words, audio path or None, notices about the words) for the job's
    source."""
    options = job.options
    if isinstance(job.source, Motion) or job.source.suffix.lower() in MOTION_TYPES:
        report("read motion", 0.0)
        motion = job.source if isinstance(job.source, Motion) else load_motion(job.source)
        if options is not None and options.fps and abs(float(options.fps) - motion.fps) > 1e-6:
            motion = resample(motion, float(options.fps))
        if job.audio is not None:  # Blender would play a damaged or endless file silently
            from ..inference.render import check_speech

            check_speech(job.audio, motion.duration)
        return motion, 0, job.audio, []
    from ..inference.generation.pipeline import GenerateOptions, generate

    result = generate(job.source, options or GenerateOptions(),
                      progress=lambda stage, fraction: report("generate", fraction))
    return result.motion, len(result.words), job.source, list(result.notices)


def _bake_on_avatar(job, motion, audio, report, lap, result):
    try:
        import bpy
    except ImportError:
        raise BakeError("baking onto an avatar needs Blender as a Python module: "
                        "pip install 'talkrig[blender]'") from None
    from .animate import animate
    from .export import export
    from .scene import add_sound, load_avatar

    report("load avatar", 0.0)
    avatar = load_avatar(job.avatar, job.armature)
    lap("load avatar")
    report("retarget+keys", 0.0)
    name = job.name or (job.outputs[0].stem if job.outputs else job.preview.stem)
    animation = animate(avatar, motion, job.bone_map, name=name, settings=job.retarget)
    result.bone_map, result.plan, result.notes = animation.bone_map, animation.plan, animation.notes
    wants_sound = job.preview is not None or any(p.suffix.lower() == ".blend" for p in job.outputs)
    if audio is not None and wants_sound:  # heard in the preview and in the saved scene
        add_sound(bpy.context.scene, audio, animation.frame_start)
    lap("retarget+keys")
    scene_outputs = [p for p in job.outputs if p.suffix.lower() not in NO_BLENDER_TYPES]
    for k, path in enumerate(scene_outputs):
        report("export", k / len(scene_outputs))
        export(avatar, animation, path, job.fbx_target,
               progress=lambda fraction, k=k: report("export", (k + fraction) / len(scene_outputs)))
        lap("export")
    if job.preview is not None:
        from .preview import render_preview

        report("preview", 0.0)
        render_preview(avatar, animation, job.preview, size=job.preview_size,
                       with_audio=audio is not None, processes=job.preview_processes,
                       progress=lambda fraction: report("preview", fraction))
        lap("preview")
