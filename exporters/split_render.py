"""A video rendered by two Blender processes at once and joined without re-encoding.

Workbench renders on the CPU (Mesa's llvmpipe). One process rendering a take keeps about 1.6 of
two cores busy, its raster threads waiting on each other; two processes rendering half the frames
each keep both busy: `make demo`'s preview (802 frames at 396x480) took 8.8-9.5 s that way against
11.3-12.1 s in one process (a 2-core machine, alternating). The process that rendered the scene
saves a copy of it; a second Blender process opens that copy and renders the later frames while
the first renders the earlier ones, each into an H.264 file without sound. The second also mixes
the scene's sound down once and encodes it as AAC. The parts are then joined by copying their
packets into one MP4 (PyAV): each part starts on a key frame, and both come from the same encoder
with the same settings.

Each process rasterises in its render thread (llvmpipe's ``LP_NUM_THREADS=0``, unless set
already): with two processes on two cores, llvmpipe's own raster threads only wait on each
other (the demo's preview 11.1-12.1 -> 9.8-11.0 s in a slower hour, alternating).

When the second process fails, its frames are rendered by the first; when the parts cannot be
joined, the whole video is rendered again in one process: slower, never lost. A scene too slow to
save and open for the second process to pay is rendered in one from the start.
"""

import logging
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

log = logging.getLogger(__name__)

MIN_FRAMES = 120  # below this, starting a second Blender (about 0.6 s) gains little
MIN_SHARE = 10  # frames the second process must be left to be worth starting
START_SECONDS = 0.6  # the second process's start: Python, bpy, opening the scene's copy
AUDIO_SECONDS_PER_SECOND = 0.025  # its mixdown and AAC encoding, per second of the take
FRAME_SECONDS = (0.005, 80e-9)  # a frame's cost with both cores busy: fixed, per pixel
RATE = 48000  # the sound's samples a second, as the one-process render writes it


def can_split(scene):
    """True where rendering in two processes pays: two cores, Blender as a Python module (a
    second process can import it), PyAV to join the parts, frames enough to win back the start."""
    from ..inference.cores import available_cores
    from ..inference.generation.forked import in_blender_app

    if in_blender_app() or available_cores() < 2:
        return False
    if scene.frame_end - scene.frame_start + 1 < MIN_FRAMES:
        return False
    try:
        import av  # noqa: F401  (the join)
    except ImportError:
        return False
    return True


def later_share(scene, with_audio, opening=0.0):
    """How many of the scene's last frames the second process renders: half, less its start, the
    ``opening`` of the scene's copy (seconds) and the sound it mixes, while the first process is
    already rendering. 0 where that leaves it too little to pay."""
    n = scene.frame_end - scene.frame_start + 1
    pixels = scene.render.resolution_x * scene.render.resolution_y
    per_frame = FRAME_SECONDS[0] + FRAME_SECONDS[1] * pixels
    fps = scene.render.fps / scene.render.fps_base
    lead = START_SECONDS + opening + (AUDIO_SECONDS_PER_SECOND * n / fps if with_audio else 0.0)
    share = int(round((n - lead / per_frame) / 2))
    return share if share >= MIN_SHARE else 0


def render_in_two(scene, path, on_frames, render_range):
    """Render the scene's frame range to ``path`` (.mp4) in two processes, with the sound its
    render settings ask for.

    on_frames(done) : called as frames are done (by either process), done counted over the range.
    render_range(path, on_done) : renders the scene's current frame range to ``path`` in this
        process, calling on_done(frames done in that range) after each frame (the caller's render,
        with its error for a failed render).
    """
    # before this process's first render makes its GL context; the second process inherits it
    os.environ.setdefault("LP_NUM_THREADS", "0")
    codec = scene.render.ffmpeg.audio_codec
    with tempfile.TemporaryDirectory(prefix="talkrig-render-") as folder:
        scene.render.ffmpeg.audio_codec = "NONE"  # the parts are silent, the sound mixed once
        try:
            parts, sound = _render_parts(scene, Path(folder), codec != "NONE", on_frames,
                                         render_range)
        finally:
            scene.render.ffmpeg.audio_codec = codec
        if parts and _joined(parts, sound, path):
            return
    render_range(path, on_frames)


def _render_parts(scene, folder, with_audio, on_frames, render_range):
    """([earlier, later] silent videos, the sound's .m4a or None) rendered into ``folder``, the
    later frames by a second process; (None, None) when it could not be started."""
    first, last = scene.frame_start, scene.frame_end
    try:
        copy, saving = _save_copy(folder)
    except (RuntimeError, OSError) as exc:  # a full or unwritable temporary folder
        log.info("could not save the scene for a second render process (%s): rendering in one",
                 str(exc).strip())
        return None, None
    later = later_share(scene, with_audio, opening=saving)  # it opens about as fast as it saves
    if not later:
        log.info("the scene took %.1f s to save: rendering in one process", saving)
        return None, None
    split = last - later + 1
    parts = [folder / "earlier.mp4", folder / "later.mp4"]
    sound = folder / "sound.m4a" if with_audio else None
    progress = folder / "progress"
    progress.touch()
    try:
        child = _start_child(copy, folder, split, parts[1], sound, progress)
    except OSError as exc:
        log.info("could not start a second render process (%s): rendering in one", exc)
        return None, None
    try:
        scene.frame_end = split - 1
        render_range(parts[0], lambda done: on_frames(done + _size(progress)))
    except BaseException:
        child.kill()
        child.wait()
        raise
    finally:
        scene.frame_end = last
    if not _wait(child, folder, progress, split - first, on_frames, parts[1], sound):
        _render_later_here(scene, split, parts[1], sound, on_frames, render_range)
    return parts, sound


def _joined(parts, sound, path):
    """:func:`join`, False (logged) where the parts cannot be joined."""
    try:
        if join(parts, sound, path):
            return True
        log.info("the two parts of %s were encoded differently: rendering it in one process", path)
    except Exception as exc:  # PyAV could not read or write them: one process does it all
        log.info("the two parts of %s could not be joined (%s): rendering it in one process",
                 path, exc)
    return False


def _render_later_here(scene, split, video, sound, on_frames, render_range):
    """The second process's share (frames ``split``.., the sound) rendered in this one."""
    first = scene.frame_start
    scene.frame_start = split
    try:
        render_range(video, lambda done: on_frames(split - first + done))
    finally:
        scene.frame_start = first
    if sound is not None:
        _mix_sound(sound.with_name("sound.wav"), sound)


def _save_copy(folder):
    """(path, seconds it took) of a copy of the open scene saved into ``folder``."""
    import bpy

    from .console import quiet

    copy = folder / "scene.blend"
    start = time.perf_counter()
    with quiet("saving the scene for the second render process"):
        bpy.ops.wm.save_as_mainfile(filepath=str(copy), copy=True, compress=False)
    return copy, time.perf_counter() - start


def _start_child(copy, folder, split, video, sound, progress):
    """The second Blender process, rendering frames ``split``.. of the scene's ``copy``."""
    command = [sys.executable, "-m", __name__, str(copy), str(split), str(video),
               str(progress), str(sound) if sound is not None else "-"]
    with open(folder / "child.log", "wb") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def _wait(child, folder, progress, earlier, on_frames, video, sound):
    """True when the second process rendered its part (and the sound); reports its frames
    meanwhile. A failure is logged with the end of its output."""
    while child.poll() is None:
        on_frames(earlier + _size(progress))
        time.sleep(0.05)
    on_frames(earlier + _size(progress))
    done = child.returncode == 0 and video.is_file() and (sound is None or sound.is_file())
    if not done:
        output = (folder / "child.log").read_bytes()[-2000:].decode("utf-8", "replace")
        log.info("the second render process failed (exit %s): rendering its frames here\n%s",
                 child.returncode, output)
    return done


def _size(path):
    try:
        return path.stat().st_size
    except OSError:
        return 0


def join(parts, sound, path):
    """Write ``parts`` (H.264 MP4s, in order) and ``sound`` (an AAC .m4a, or None) into one MP4
    at ``path`` by copying their packets. False (nothing written) when the parts' encoders
    differ in their settings (their H.264 headers) or their clocks (time bases), so one stream
    cannot carry them."""
    import av

    inputs = [av.open(str(part)) for part in parts]
    try:
        streams = [f.streams.video[0] for f in inputs]
        first = streams[0]
        if any((s.codec_context.extradata, s.time_base) != (first.codec_context.extradata,
                                                             first.time_base) for s in streams):
            return False
        with av.open(str(path), "w", format="mp4") as out:
            video = out.add_stream_from_template(first)
            audio_in = av.open(str(sound)) if sound is not None else None
            try:
                audio = (out.add_stream_from_template(audio_in.streams.audio[0])
                         if audio_in is not None else None)
                offset = 0
                for f, stream in zip(inputs, streams):
                    offset = _copy(f, stream, out, video, offset)
                if audio_in is not None:
                    _copy(audio_in, audio_in.streams.audio[0], out, audio, 0)
            finally:
                if audio_in is not None:
                    audio_in.close()
    finally:
        for f in inputs:
            f.close()
    return True


def _copy(source, stream, out, target, offset):
    """Mux ``stream``'s packets into ``target`` shifted by ``offset`` (in the stream's time
    base); returns the time just after its last packet."""
    end = offset
    frame = _frame_ticks(stream)
    for packet in source.demux(stream):
        if packet.dts is None:  # the demuxer's closing empty packet
            continue
        packet.pts += offset
        packet.dts += offset
        end = max(end, packet.pts + (packet.duration or frame))
        packet.stream = target
        out.mux(packet)
    return end


def _frame_ticks(stream):
    """A video frame's length in ``stream``'s time base (0 for sound: its packets carry it)."""
    rate = getattr(stream, "average_rate", None)
    return int(round(1 / (rate * stream.time_base))) if rate else 0


def _mix_sound(wav, m4a):
    """The scene's sound over its frame range, mixed down by Blender and encoded as mono AAC
    (48 kHz, 128 kbit/s: what the one-process render writes)."""
    import av
    import bpy

    scene = bpy.context.scene
    bpy.ops.sound.mixdown(filepath=str(wav), container="WAV", codec="PCM", format="S16",
                          channels="MONO", mixrate=RATE)
    # the mixdown ends on a whole buffer of 1024 samples: cut at the last frame's end
    length = round((scene.frame_end - scene.frame_start + 1) * scene.render.fps_base
                   / scene.render.fps * RATE)
    with av.open(str(wav)) as source, av.open(str(m4a), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=RATE, layout="mono")
        stream.bit_rate = 128000
        samples = 0
        for frame in source.decode(audio=0):
            frame = _cut(frame, length - samples)
            if frame is None:
                break
            # counted in samples from 0, so the encoder's priming goes before it (an edit list
            # the players skip) and the sound keeps its place against the frames
            frame.pts, frame.time_base = samples, Fraction(1, RATE)
            samples += frame.samples
            out.mux(stream.encode(frame))
        # the encoder's last packets: only those holding sound (one past the end would lengthen it)
        out.mux([packet for packet in stream.encode(None) if packet.pts < samples])


def _cut(frame, keep):
    """``frame`` (decoded sound) to its first ``keep`` samples; None when that is none."""
    import av

    if keep <= 0:
        return None
    if keep >= frame.samples:
        return frame
    cut = av.AudioFrame.from_ndarray(frame.to_ndarray()[:, :keep].copy(), format=frame.format.name,
                                     layout=frame.layout.name)
    cut.sample_rate = frame.sample_rate
    return cut


def _child(copy, split, video, progress, sound):
    """The second process: frames ``split``.. of the saved scene into ``video``, one byte
    appended to ``progress`` per frame, then the whole range's sound into ``sound``."""
    import bpy

    bpy.ops.wm.open_mainfile(filepath=copy)
    scene = bpy.context.scene
    first = scene.frame_start
    with open(progress, "ab", buffering=0) as marks:
        bpy.app.handlers.render_write.append(lambda *_: marks.write(b"."))
        scene.frame_start = split
        scene.render.filepath = str(Path(video).absolute())
        bpy.ops.render.render(animation=True)
    scene.frame_start = first
    if sound != "-":
        _mix_sound(Path(video).with_name("sound.wav"), Path(sound))


if __name__ == "__main__":
    copy, split, video, progress, sound = sys.argv[1:6]
    _child(copy, int(split), video, progress, sound)
