"""Batch bake: many clips from a manifest, in parallel and resumable, on this machine or a cluster.

    clips = read_manifest("clips.csv")
    results = run_batch(clips, BatchSettings(out_dir="out"), workers=2, on_result=print)
    write_summary("out/summary.json", results)

Each worker imports bpy and the inference pipeline once and bakes clip after clip with
:func:`bake_clip`, whatever runs it: a process of a local pool (:class:`.workers.ProcessEngine`,
the default) or a task process on any node of a Ray cluster (:class:`.ray_engine.RayEngine`).
A clip whose output (and preview, when asked for) already exists is skipped, so running the
same command again resumes an interrupted batch; outputs are written atomically, so a file
under its final name is always complete. A clip that fails (corrupt audio, bad avatar, even a
worker that crashes) is reported with its error and the others go on.

For manifests of any size, stream instead of building lists: :func:`bake_each` takes the clips
as an iterable (``manifest.iter_manifest``) and hands each result to a :class:`Results`, which
keeps them on disk until :func:`write_summary` writes them in manifest order.
"""

import contextlib
import dataclasses
import json
import logging
import os
import re
import shutil
import tempfile
import time
import traceback
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..motion.retarget.settings import RetargetSettings
from .atomic import atomic_path, remove_stale
from .bake import OUTPUT_TYPES
from .manifest import in_shard

log = logging.getLogger(__name__)

DONE, SKIPPED, FAILED = "done", "skipped", "failed"


@dataclass
class BatchSettings:
    """What every clip of a batch shares.

    options : inference.generation.pipeline.GenerateOptions used as the template of each clip (a clip's
        seed, backend and transcript replace the template's); None: the defaults.
    avatar, bone_map : defaults for clips that name none.
    retarget : how every clip goes on its rig, a ``motion.retarget.RetargetSettings``.
    preview : also render ``NAME.mp4`` beside each output. preview_processes : 2 renders each
        preview in two Blender processes at once (exporters/split_render.py), for a batch run by
        one worker on a machine with cores to spare; 1 where the workers share the cores.
    shard : (k, n) when this run bakes one shard of a manifest (``manifest.in_shard``) into a
        folder other runs share; it then leaves the other shards' files alone.
    collect : bake into a private folder of the worker's node and send the files back, for
        workers that do not see ``out_dir``.
    """

    out_dir: Path
    options: object = None
    avatar: str = None
    bone_map: str = "auto"
    retarget: RetargetSettings = field(default_factory=RetargetSettings)
    preview: bool = False
    preview_size: tuple = None  # (width, height); None: 480 tall, as wide as the body needs
    preview_processes: int = 1
    fbx_target: str = "blender"
    shard: tuple = None
    collect: bool = False

    def __post_init__(self):
        self.out_dir = Path(self.out_dir).absolute()  # the same folder for workers elsewhere


def output_paths(clip, settings):
    """(output, preview or None) of a clip in the output folder."""
    output = settings.out_dir / clip.output
    preview = output.with_suffix(".mp4") if settings.preview else None
    return output, preview


def is_done(clip, settings):
    output, preview = output_paths(clip, settings)
    return output.is_file() and (preview is None or preview.is_file())


def run_batch(clips, settings, workers=1, on_result=None, engine=None):
    """Bake every clip; returns one result dict per clip, in manifest order.

    engine : what runs the bakes (default: ``workers`` local processes). on_result(result) is
    called as each clip finishes (skipped clips as they are met). A result holds line, name,
    audio, output, preview, status (done, skipped, failed), seconds (wall time of the bake),
    frames, motion_seconds, timings, error and notices (warnings about its words, one line each:
    e.g. speech judged not English, whose words were not kept).
    """
    from .workers import ProcessEngine

    results = {}

    def keep(index, result):
        results[index] = result
        if on_result:
            on_result(result)

    bake_each(clips, settings, engine or ProcessEngine(workers), keep)
    return [results[k] for k in sorted(results)]


def bake_each(clips, settings, engine, on_result):
    """Bake the clips of any iterable as they come; on_result(index, result) for each clip as
    soon as its result is known, ``index`` counting the clips from 0.

    Holds only the clips being baked, so a manifest streamed by ``manifest.iter_manifest`` can be
    of any length. engine.run(tasks, work, shared, died, warm_up) yields results as they finish.
    """
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    owns = _owned_files(settings)
    stale = remove_stale(settings.out_dir, owns)
    if stale:
        log.info("removed %d unfinished file(s) of an interrupted run in %s", stale,
                 settings.out_dir)
    baking = {}  # line -> index, of the clips handed to the engine

    def todo():
        for index, clip in enumerate(clips):
            if clip.error:
                on_result(index, _result(clip, settings, FAILED, error=clip.error))
            elif is_done(clip, settings):
                on_result(index, _result(clip, settings, SKIPPED))
            else:
                baking[clip.line] = index
                yield clip

    def died(clip, seconds, message):
        return _result(clip, settings, FAILED, seconds=seconds, error=message)

    work = bake_clip_collected if settings.collect else bake_clip
    for result in engine.run(todo(), work, settings, died, _warm_up):
        if settings.collect:
            result = _store(result)
        on_result(baking.pop(result["line"]), result)
    remove_stale(settings.out_dir, owns)  # what workers that died mid-clip left


def _owned_files(settings):
    """Which temporaries in the output folder this run may remove (None: all of them)."""
    if settings.shard is None:
        return None
    kinds = set(OUTPUT_TYPES) | {".mp4"}
    own_summary = "summary-{}-of-{}.json".format(*settings.shard)

    def owns(name):
        if _SUMMARY.fullmatch(name):  # a run's summary, not a clip's output (.json is one too)
            return name == own_summary
        return Path(name).suffix.lower() in kinds and in_shard(name, settings.shard)

    return owns


_SUMMARY = re.compile(r"summary(-\d+-of-\d+)?\.json")


def _warm_up():
    """What every worker imports once: Blender and the generation pipeline."""
    import bpy  # noqa: F401

    from ..inference.generation import pipeline
    from . import animate, export  # noqa: F401


def bake_clip(clip, settings):
    """Bake one clip in this process; never raises (the error goes into the result)."""
    from ..motion.errors import TalkrigError
    from .bake import BakeJob, bake

    start = time.perf_counter()
    output, preview = output_paths(clip, settings)
    try:
        job = BakeJob(source=clip.audio, outputs=[output], avatar=clip.avatar or settings.avatar,
                      bone_map=clip.bone_map or settings.bone_map, retarget=settings.retarget,
                      preview=preview, options=_clip_options(clip, settings),
                      fbx_target=settings.fbx_target, preview_size=settings.preview_size,
                      preview_processes=settings.preview_processes,
                      name=clip.name)
        result = bake(job)
    except TalkrigError as exc:
        return _result(clip, settings, FAILED, seconds=time.perf_counter() - start,
                       error=str(exc))
    except Exception as exc:  # a bug or a Blender failure: this clip fails, the batch goes on
        log.debug("clip %s failed:\n%s", clip.output, traceback.format_exc())
        return _result(clip, settings, FAILED, seconds=time.perf_counter() - start,
                       error=f"{type(exc).__name__}: {exc}")
    return _result(clip, settings, DONE, seconds=time.perf_counter() - start,
                   frames=result.n_frames, motion_seconds=round(result.duration, 3),
                   timings={k: round(v, 3) for k, v in result.timings.items()},
                   notices=result.notices)


def bake_clip_collected(clip, settings):
    """Bake one clip into a private folder of this machine and return its result with the
    files' bytes under ``"files"`` (name -> bytes), for the driver to write into ``out_dir``."""
    with _private_folder() as folder:
        result = bake_clip(clip, dataclasses.replace(settings, out_dir=folder, collect=False))
        files = {}
        if result["status"] == DONE:
            files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    output, preview = output_paths(clip, settings)
    result.update(output=str(output), preview=str(preview) if preview else None, files=files)
    return result


COLLECT_PREFIX = "talkrig-collect-"
STALE_SECONDS = 24 * 3600  # a private folder this old was left by a killed worker


@contextlib.contextmanager
def _private_folder():
    """A fresh temporary folder, removed afterwards; those killed workers left are removed
    first (by age: no clip takes a day)."""
    temp = Path(tempfile.gettempdir())
    for old in temp.glob(f"{COLLECT_PREFIX}*"):
        with contextlib.suppress(OSError):
            if time.time() - old.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=COLLECT_PREFIX))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _store(result):
    """Write a collected result's files beside its output (companions, then the preview, the
    output last, each atomically, so a finished output means a finished clip)."""
    files = result.pop("files", None) or {}
    output = Path(result["output"])
    last = [Path(p).name for p in (result["preview"], result["output"]) if p]
    try:
        for name in sorted(files, key=lambda n: last.index(n) if n in last else -1):
            with atomic_path(output.parent / name) as temp:
                temp.write_bytes(files[name])
    except OSError as exc:
        result.update(status=FAILED, error=f"cannot write {output.parent / name}: {exc}")
    return result


def _clip_options(clip, settings):
    from ..inference.generation.pipeline import GenerateOptions
    from ..inference.speech.transcripts import transcript_text

    template = settings.options or GenerateOptions()
    speech_options = dict(template.speech_options)
    transcript, name = transcript_text(clip.transcript)
    if name:
        speech_options["transcript_name"] = name
    return dataclasses.replace(
        template, seed=clip.seed, backend=clip.backend or template.backend,
        transcript=transcript if transcript else template.transcript,
        speech_options=speech_options, backend_options=dict(template.backend_options))


def _result(clip, settings, status, seconds=0.0, error=None, frames=None, motion_seconds=None,
            timings=None, notices=None):
    output, preview = output_paths(clip, settings)
    return {
        "line": clip.line, "name": clip.name, "audio": clip.audio, "output": str(output),
        "preview": str(preview) if preview else None, "status": status,
        "seconds": round(seconds, 3), "frames": frames, "motion_seconds": motion_seconds,
        "timings": timings or {}, "error": error, "notices": list(notices or []),
    }


class Results:
    """The results of a batch of any size, kept in a temporary file as they arrive and read back
    in manifest order; ``counts`` per status.

        results = Results()
        bake_each(clips, settings, engine, results.add)
        write_summary(path, results)
    """

    def __init__(self):
        self._file = tempfile.TemporaryFile()
        # Clip index -> where its result is in the file (-1: none yet) and how long it is.
        self._offsets, self._sizes = array("q"), array("q")
        self.counts = {DONE: 0, SKIPPED: 0, FAILED: 0}

    def add(self, index, result):
        """Keep ``result`` as the summary will print it (encoded once, whatever the batch)."""
        data = _nested(result, 2).encode("utf-8")
        self._file.seek(0, os.SEEK_END)  # after texts() read elsewhere
        if index >= len(self._offsets):
            grow = index + 1 - len(self._offsets)
            self._offsets.extend([-1] * grow)
            self._sizes.extend([0] * grow)
        self._offsets[index], self._sizes[index] = self._file.tell(), len(data)
        self._file.write(data)
        self.counts[result["status"]] += 1

    def __len__(self):
        return sum(self.counts.values())

    def has(self, index):
        """Whether clip ``index`` has a result."""
        return index < len(self._offsets) and self._offsets[index] >= 0

    def __iter__(self):
        """The results in clip order."""
        return (json.loads(text) for text in self.texts())

    def texts(self):
        """The results in clip order, as JSON indented for the summary."""
        for offset, size in zip(self._offsets, self._sizes):
            if offset >= 0:
                self._file.seek(offset)
                yield self._file.read(size).decode("utf-8")

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def write_summary(path, results, **info):
    """Write the summary JSON atomically: ``info``, the time it finished, counts per status and
    every result (a list, or a :class:`Results`). Returns the counts.

    Streamed as it is written, with exactly the layout of ``json.dumps(document, indent=1)``.
    """
    if isinstance(results, Results):
        counts, texts = dict(results.counts), results.texts()
    else:
        counts = {status: sum(r["status"] == status for r in results)
                  for status in (DONE, SKIPPED, FAILED)}
        texts = (_nested(result, 2) for result in results)
    head = dict(info, finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                counts=counts)
    with atomic_path(path) as temp, open(temp, "w", encoding="utf-8") as stream:
        stream.write("{\n")
        for key, value in head.items():
            stream.write(f" {_nested(key, 1)}: {_nested(value, 1)},\n")
        stream.write(' "clips": [')
        first = True
        for text in texts:
            stream.write(("\n  " if first else ",\n  ") + text)
            first = False
        stream.write("]\n}\n" if first else "\n ]\n}\n")
    return counts


def _nested(value, depth):
    """``value`` as json.dumps(indent=1) writes it ``depth`` levels deep."""
    return json.dumps(value, indent=1, ensure_ascii=False).replace("\n", "\n" + " " * depth)
