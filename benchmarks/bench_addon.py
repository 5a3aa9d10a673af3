"""The Blender extension from the user's side: how long Generate takes until the take is on the
rig, and how long Blender's main thread is busy meanwhile (the UI only stalls while a timer
tick runs; the network work is in a background thread).

The built extension is installed in the bpy module, it starts a local server, and Generate runs
on 62 s of real speech (with its TextGrid) onto the CC0 avatar in a 24 fps scene. The add-on's
timer is called as Blender calls it (after the interval it returned last), and a run ends with
the tick that baked the keys. Prints medians over repeated runs.

With ``--words server`` the server finds the words itself, with ``--words script`` it aligns the
recording's plain script (the TextGrid's words as a .txt file): each run then gets a recording
of its own (the same speech, its level changed by a hundredth of a decibel or so), since the
server keeps the words it found in a recording a moment ago; the same recording pressed again
with another seed, which skips the engine, is timed apart. ``--more 6`` appends the first 6 s
of the other take (the 68 s of the speed target; words found by the server only). With the
words found by the server, a last line says how fast recognition itself ran in that hour
(:func:`recognition_line`), which that wait follows.
``--restarted`` (with ``--words server``): the server stopped after those runs and started again
(by a Generate on another recording), then the same recordings pressed again: their words were
kept on disk (inference/speech/kept_words.py; every other run finds them afresh).
``--cold`` (with ``--words server``): the local server stopped before each voice-over is chosen,
as when Blender was just opened (the add-on starts it, for the words asked ahead or for Generate).
``--rigify``: onto a generated Rigify rig with the avatar's body bound to it in place of the
avatar (keyed through the rig's controls, feet planted: its hips measured in Blender).

    .venv/bin/python benchmarks/bench_addon.py [--repeats 3] [--words file|server|script]
        [--chosen-before S] [--more 6] [--cold] [--restarted] [--rigify]
"""

import argparse
import os
import importlib.util
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ["TALKRIG_WORDS_CACHE"] = "off"  # every engine timed afresh, none read from disk
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
AVATAR = DATA / "avatar_cc0" / "male_base_mesh.glb"
AUDIO = DATA / "beat2_scott_train" / "2_scott_0_2_2.wav"
TRANSCRIPT = DATA / "beat2_scott_train" / "2_scott_0_2_2.TextGrid"
OTHER = DATA / "beat2_scott_train" / "2_scott_0_1_1.wav"


def load_build_script():
    """tools/build_extension.py, which builds the extension and installs it in the bpy module."""
    spec = importlib.util.spec_from_file_location("build_extension", ROOT / "tools" / "build_extension.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_once(bpy, module, words="file", audio=AUDIO, seed=0, chosen_before=None, scene_file=None,
             cold=False):
    """(seconds from Generate to baked, longest tick, bake tick, Generate operator) in seconds.
    words: "file" (the TextGrid), "server" (no transcript: the server finds the words) or the
    path of a plain script to align. chosen_before: Generate pressed that many seconds after the
    voice-over was chosen, Blender's event loop running meanwhile (the add-on asks for its words
    ahead, addon/words_ahead.py); None: pressed at once. scene_file: a .blend to open in place
    of the avatar alone. cold: the local server stopped before the voice-over is chosen."""
    if scene_file is None:
        bpy.ops.wm.read_homefile(use_empty=True)
        bpy.ops.import_scene.gltf(filepath=str(AVATAR))
    else:
        bpy.ops.wm.open_mainfile(filepath=str(scene_file))
    arm = next(o for o in bpy.context.scene.objects if o.type == "ARMATURE")
    bpy.context.view_layer.objects.active = arm
    if cold:
        stop_local_server(bpy, module)
    settings = bpy.context.scene.talkrig
    settings.audio_file = str(audio)
    settings.seed = seed
    if words == "server":
        settings.transcript_source = "NONE"
    else:
        settings.transcript_source = "FILE"
        settings.transcript_file = str(TRANSCRIPT if words == "file" else words)
    tick = module.addon.runtime.tick
    if chosen_before is not None:
        event_loop(bpy, module, chosen_before)
    start = time.perf_counter()
    bpy.ops.talkrig.generate()
    operator = time.perf_counter() - start
    ticks = []
    interval = module.addon.runtime.INTERVAL  # the timer's first interval
    while module.addon.server_jobs.GENERATE.running(bpy.context.scene):
        time.sleep(interval)  # Blender calls the timer again after the interval it returned
        t0 = time.perf_counter()
        interval = module.addon.runtime.INTERVAL
        if bpy.app.timers.is_registered(tick):
            interval = tick()
            if interval is None:
                bpy.app.timers.unregister(tick)
                interval = module.addon.runtime.INTERVAL
        ticks.append((time.perf_counter() - t0, settings.job.state))
    total = time.perf_counter() - start  # the end of the tick that baked the keys
    if settings.job.state != "DONE" or not settings.job.action:
        raise SystemExit(f"bench_addon: {settings.job.state}: {settings.job.error}")
    bake = max(d for d, state in ticks if state == "DONE")
    other = max((d for d, state in ticks if state != "DONE"), default=0.0)
    return total, other, bake, operator


def stop_local_server(bpy, module):
    """Stop the local server the add-on started (its Stop Local Server), if one runs."""
    if module.addon.server_state.stoppable_server() is not None:
        bpy.ops.talkrig.stop_server()


def event_loop(bpy, module, seconds):
    """What Blender's event loop runs for ``seconds`` after the voice-over was chosen (the bpy
    module has none): the add-on's words asked for ASK_AFTER seconds later, and its timer (a
    local server started for them reports through it, and they are asked for once it answers)."""
    ask, tick = module.addon.words_ahead, module.addon.runtime.tick
    chosen = time.perf_counter()
    while (now := time.perf_counter()) - chosen < seconds:
        if now - chosen >= ask.ASK_AFTER and bpy.app.timers.is_registered(ask._ask_now):
            bpy.app.timers.unregister(ask._ask_now)
            ask._ask_now()
        if bpy.app.timers.is_registered(tick) and tick() is None:
            bpy.app.timers.unregister(tick)
        time.sleep(0.02)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--words", choices=("file", "server", "script"), default="file",
                        help="words from the TextGrid (default), found by the server, or its "
                             "plain script aligned by the server")
    parser.add_argument("--chosen-before", type=float, default=None, metavar="S",
                        help="press Generate S seconds after choosing the voice-over (the "
                             "add-on asks for its words meanwhile); default: at once")
    parser.add_argument("--more", type=float, default=0.0, metavar="S",
                        help="with --words server: S seconds of the other take appended (the "
                             "issue's 68 s: --more 6)")
    parser.add_argument("--cold", action="store_true",
                        help="no server running when the voice-over is chosen (Blender just "
                             "opened): the add-on starts it")
    parser.add_argument("--restarted", action="store_true",
                        help="with --words server: the same recordings again after the server "
                             "was started again (their words kept on disk)")
    parser.add_argument("--rigify", action="store_true",
                        help="onto a generated Rigify rig with the avatar's body bound to it")
    args = parser.parse_args(argv)
    if args.more and args.words != "server":
        parser.error("--more needs --words server (the transcript covers only the recording)")
    if args.restarted and args.words != "server":
        parser.error("--restarted needs --words server")
    tmp = Path(tempfile.mkdtemp(prefix="talkrig-bench-addon-"))
    if args.restarted:  # the server started by the add-on keeps its words here
        os.environ["TALKRIG_WORDS_CACHE"] = str(tmp / "kept-words")
    bpy, module = load_build_script().blender_with_local_server(tmp)
    scene = rigify_scene(bpy, tmp) if args.rigify else None
    restarted = []
    try:
        if args.words != "file":
            words = plain_script(tmp) if args.words == "script" else "server"
            audio = own_recordings(tmp, args.repeats + 2, args.more)
            run_once(bpy, module, words, audio[0], scene_file=scene)  # starts the server, warms its caches
            timed = audio[1:-1]
            runs = [run_once(bpy, module, words, a, chosen_before=args.chosen_before,
                             scene_file=scene, cold=args.cold) for a in timed]
            again = [] if args.cold else [run_once(bpy, module, words, a, seed=1, scene_file=scene)
                                          for a in timed]  # cold: each server held one line
            if args.restarted:
                stop_local_server(bpy, module)
                run_once(bpy, module, words, audio[-1], scene_file=scene)  # starts it again
                restarted = [run_once(bpy, module, words, a, seed=2, scene_file=scene)
                             for a in timed]
        else:
            run_once(bpy, module, args.words, scene_file=scene)  # starts the server, warms its caches
            runs = [run_once(bpy, module, args.words, scene_file=scene) for _ in range(args.repeats)]
            again = []
    finally:
        local = module.addon.server_state.local_server()
        if local is not None:
            local.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    seconds = 62 + args.more
    labels = (f"Generate -> baked on the rig ({seconds:g} s of speech, {round(seconds * 24)} frames at 24 fps)",
              "longest main-thread tick while the job runs",
              "main-thread tick that bakes (resample, retarget, keys, face, sound)",
              "Generate operator itself (checks, starts the thread)")
    source = {"file": "the TextGrid", "server": "the server", "script": "the plain script, aligned by the server"}
    print(f"bench_addon: median of {args.repeats} runs, words from {source[args.words]}"
          + (", onto a generated Rigify rig with the avatar's body bound" if args.rigify else "")
          + (", no server running when the voice-over is chosen" if args.cold else "")
          + ("" if args.chosen_before is None else
             f", Generate pressed {args.chosen_before:g} s after the voice-over was chosen"))
    for k, label in enumerate(labels):
        print(f"  {label:<72} {statistics.median(r[k] for r in runs) * 1000:8.1f} ms")
    if again:
        print(f"  {'the same recording again, seed 1 (the words kept by the server)':<72} "
              f"{statistics.median(r[0] for r in again) * 1000:8.1f} ms")
    if restarted:
        print(f"  {'the same recording after the server started again (words kept on disk)':<72} "
              f"{statistics.median(r[0] for r in restarted) * 1000:8.1f} ms")
    if args.words == "server":
        print(recognition_line())
    return 0


def recognition_line(seconds=12.0, repeats=3):
    """How fast recognition's own C code runs this hour: the first ``seconds`` of the recording
    recognised in this process on one core over the whole dictionary, as before the common words
    were the default (set-up included, median of ``repeats``). The
    machine's Python and C speeds need not move together (benchmarks/JOURNAL.md, An hour quick
    for Python, slow for C), and Generate with the words found by the server waits on this."""
    from talkrig.inference.audio.decode import DecodedAudio, decode_audio
    from talkrig.inference.speech.timing import find_words

    decoded = decode_audio(AUDIO)
    piece = decoded.samples[: int(seconds * decoded.sample_rate)]
    times = []
    for k in range(repeats + 1):  # the first imports and loads what every later run reuses
        audio = DecodedAudio(piece, decoded.sample_rate, name="reference", hash=f"bench-addon-{k}")
        started = time.perf_counter()
        find_words(audio, "pocketsphinx", options={"workers": 1, "vocabulary": "whole"})
        times.append(time.perf_counter() - started)
    median = statistics.median(times[1:])
    return (f"  recognition's reference: the first {seconds:g} s recognised on one core in "
            f"{median:.2f} s (real-time factor {median / seconds:.3f})")


def rigify_scene(bpy, folder):
    """A .blend holding a generated Rigify rig with the avatar's body bound to it."""
    sys.path.insert(0, str(ROOT / "tests"))
    from support.retarget_scenes import rigify_with_body

    path = folder / "rigify_body.blend"
    rigify_with_body(bpy, AVATAR, path)
    return path


def plain_script(folder):
    """The recording's words as a plain-text script (.txt), for the server to align."""
    from talkrig.inference.speech.transcripts.formats import read_transcript_file, read_words

    path = folder / "script.txt"
    path.write_text(" ".join(w.word for w in read_words(read_transcript_file(TRANSCRIPT))) + "\n",
                    encoding="utf-8")
    return path


def own_recordings(folder, count, more=0.0):
    """The speech as ``count`` recordings of their own (the level changed by 1e-4 per copy): the
    same work for every engine, but not the words the server kept from another run. ``more``:
    seconds of the other take appended (the issue's 68 s: 6)."""
    import numpy as np
    import soundfile

    samples, rate = soundfile.read(AUDIO, dtype="float32")
    if more > 0:
        other, other_rate = soundfile.read(OTHER, dtype="float32", frames=int(more * rate))
        assert other_rate == rate
        samples = np.concatenate([samples, other])
    paths = [folder / f"take{k}.wav" for k in range(count)]
    for k, path in enumerate(paths):
        soundfile.write(path, samples * (1.0 - 1e-4 * (k + 1)), rate, subtype="FLOAT")
    return paths


if __name__ == "__main__":
    sys.exit(main())
