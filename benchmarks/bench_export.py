"""Headless bake speed: `bake` of 60 s of real speech to GLB and to FBX, split by stage
(generate, load avatar, retarget+keys, export), a preview render, and `bake-batch` throughput
with 1 and 2 worker processes. Prints medians over repeated runs.

    .venv/bin/python benchmarks/bench_export.py [--repeats 3] [--batch-repeats 2] [--clips 6]
        [--avatar RIG.blend] [--no-batch]

The GLB's export is set beside the same scene exported with its animation sampled by Blender's
glTF exporter (the baseline talkrig's own sampling replaces, exporters/gltf_animation.py).

Speech: the first 60 s of 2_scott_0_2_2.wav with its TextGrid word times (no recognition), the
default generator, the bundled avatar. The batch cuts the same recording into 10 s clips.
"""

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "beat2_scott_train"
SPEECH = DATA / "2_scott_0_2_2.wav"
TEXTGRID = DATA / "2_scott_0_2_2.TextGrid"
SECONDS = 60.0
CLIP_SECONDS = 10.0
STAGES = ("generate", "load avatar", "retarget+keys", "export")


def cut(source, target, seconds, offset=0.0):
    import soundfile

    samples, rate = soundfile.read(str(source), dtype="float32")
    start = int(offset * rate)
    soundfile.write(str(target), samples[start:start + int(seconds * rate)], rate)
    return target


def median(values):
    return statistics.median(values) if values else float("nan")


def bench_bake(folder, repeats, avatar=None):
    from talkrig.exporters.bake import BakeJob, bake
    from talkrig.inference.capture.video import probe
    from talkrig.inference.generation.pipeline import GenerateOptions

    speech = cut(SPEECH, folder / "speech60.wav", SECONDS)
    options = GenerateOptions(transcript=TEXTGRID.read_text(encoding="utf-8"))
    start = time.perf_counter()
    import bpy  # noqa: F401  (once per process, as a batch worker does)

    print(f"import bpy (once per process): {time.perf_counter() - start:.2f} s")
    from talkrig.exporters import export
    bake(BakeJob(speech, [folder / "warmup.glb"], avatar=avatar, options=options))  # first-use costs
    for suffix in ("glb", "fbx"):
        runs = []
        for k in range(repeats):
            # Features are cached per recording: a run of its own (10 ms later) computes them.
            recording = cut(SPEECH, folder / f"speech60_{suffix}{k}.wav", SECONDS, 0.01 * (k + 1))
            start = time.perf_counter()
            result = bake(BakeJob(recording, [folder / f"take{k}.{suffix}"], avatar=avatar, options=options))
            runs.append(dict(result.timings, total=time.perf_counter() - start))
            if suffix == "glb":  # the scene as baked, its animation sampled by Blender
                start = time.perf_counter()
                export.gltf_file(folder / f"blender{k}.glb", True, animations=True)
                runs[-1]["blender"] = time.perf_counter() - start
        stages = ", ".join(f"{stage} {median([r[stage] for r in runs]):.2f} s" for stage in STAGES)
        size = (folder / f"take0.{suffix}").stat().st_size / 2**20
        total = median([r["total"] for r in runs])
        print(f"bake {SECONDS:.0f} s of speech -> {suffix.upper()} ({result.n_frames} frames, "
              f"{size:.1f} MiB), {repeats} runs: median total {total:.2f} s = {stages}")
        if suffix == "glb":
            print(f"  the same scene exported with Blender's own sampling: median "
                  f"{median([r['blender'] for r in runs]):.2f} s "
                  f"({(folder / 'blender0.glb').stat().st_size / 2**20:.1f} MiB)")
    clip = cut(SPEECH, folder / "speech5.wav", 5.0)
    start = time.perf_counter()
    result = bake(BakeJob(clip, [], preview=folder / "preview.mp4",
                          options=GenerateOptions(speech="none")))
    render = result.timings["preview"]
    video = probe(folder / "preview.mp4")
    width, height = video.width, video.height
    print(f"preview {width}x{height} (body-framed default) of 5 s ({result.n_frames} frames, "
          f"Workbench + H.264/AAC), 1 run: {render:.2f} s = {render / result.n_frames * 1000:.0f} ms per frame")


def batch_clips(folder, count):
    """``count`` manifest clips of CLIP_SECONDS cut from SPEECH (at offsets that wrap around)."""
    from talkrig.exporters.manifest import Clip

    clips = []
    for k in range(count):
        offset = (k * CLIP_SECONDS) % (SECONDS - CLIP_SECONDS)
        path = cut(SPEECH, folder / f"clip{k}.wav", CLIP_SECONDS, offset)
        clips.append(Clip(line=k + 1, output=f"clip{k}.glb", audio=str(path), seed=k))
    return clips


def time_batch(folder, clips, engine, label, repeats):
    """Median wall seconds of ``run_batch`` over ``repeats`` runs, each into a fresh folder (so
    workers start afresh and their start-up is timed), and the last run's results."""
    from talkrig.exporters.batch import BatchSettings, run_batch
    from talkrig.inference.generation.pipeline import GenerateOptions

    walls, results = [], []
    for r in range(repeats):
        settings = BatchSettings(out_dir=folder / f"{label}-{r}".replace(" ", "_"),
                                 options=GenerateOptions(speech="none"))
        start = time.perf_counter()
        results = run_batch(clips, settings, engine=engine)
        walls.append(time.perf_counter() - start)
        failed = [x["error"] for x in results if x["status"] != "done"]
        if failed:
            raise SystemExit(f"{label}: a clip failed: {failed[0]}")
    wall = median(walls)
    print(f"bake-batch {len(clips)} clips x {CLIP_SECONDS:.0f} s -> GLB, {label}, {repeats} "
          f"runs: median {wall:.1f} s wall (worker start-up included) = "
          f"{len(clips) / wall * 60:.1f} clips/min, "
          f"{len(clips) * CLIP_SECONDS / wall:.1f} s of speech per second", flush=True)
    return wall, results


def bench_batch(folder, repeats, count):
    from talkrig.exporters.workers import ProcessEngine

    clips = batch_clips(folder, count)
    for workers in (1, 2):
        time_batch(folder, clips, ProcessEngine(workers), f"{workers} worker(s)", repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="bake runs per format")
    parser.add_argument("--batch-repeats", type=int, default=2, help="batch runs per worker count")
    parser.add_argument("--clips", type=int, default=6, help="clips in the batch")
    parser.add_argument("--avatar", help="bake the 60 s onto this avatar (default: the bundled one)")
    parser.add_argument("--no-batch", action="store_true", help="leave out bake-batch")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # e.g. words of the TextGrid past the 60 s cut
    with tempfile.TemporaryDirectory(prefix="talkrig-bench-export-") as tmp:
        folder = Path(tmp)
        os.environ.setdefault("BLENDER_USER_RESOURCES", str(folder / "blender-user"))
        # The batch first: its workers are fresh processes, this one has not imported bpy yet.
        if not args.no_batch:
            bench_batch(folder, args.batch_repeats, args.clips)
        bench_bake(folder, args.repeats, args.avatar)


if __name__ == "__main__":
    main()
