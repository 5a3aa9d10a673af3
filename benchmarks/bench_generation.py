"""Generation speed, memory and motion quality of the built-in generators on real speech.

Speed: the whole pipeline (decode, features, words, generator, key poses, post-processing) on
the first 60 s of 2_scott_0_2_2.wav, words read from its TextGrid (no speech recognition; the
words stage is timed apart and left out of the total), features recomputed every run. Medians
over --repeat runs after a warm-up, wall and CPU time, plus the generator stage alone.
Target: <= 0.6 s per minute of audio (real-time factor <= 0.01) for procedural and matching.
Memory: peak Python allocations during one run (tracemalloc) and the process's peak RSS.

Quality: per seed, on the same 60 s, the motion metrics of motion/metrics (beat consistency
against the audio onsets, mean speed and jerk of the body joints, frozen frames, largest
frame-to-frame jump, foot sliding, joint limits) and the mean joint angular speed, next to the
real take 2_scott_0_1_1 scored the same way. Medians over --seeds seeds.

Whole process (``--process``): `talkrig generate` on the whole recording (62 s) with its
TextGrid, and on the issue's 68 s (the recording and the first 6 s of 2_scott_0_1_1, no words),
from process start to the written file, as a user runs it (Python compiles the modules once and
keeps the bytecode: PYTHONDONTWRITEBYTECODE is cleared for it); median of --repeat runs, with
the CPU it used (its forked child's included) and how much of that the system's.

    .venv/bin/python benchmarks/bench_generation.py [--repeat 7] [--seeds 5] [--backends procedural matching]
    .venv/bin/python benchmarks/bench_generation.py --process [--repeat 9] [--one-process-too]
    .venv/bin/python benchmarks/bench_generation.py --same-line 3 [--repeat 3]
    .venv/bin/python benchmarks/bench_generation.py --long 10 30 [--repeat 3]

Marginal cost (also with ``--process``): procedural in one process, no words, on the first 6 s and
the first 60 s of the recording, features recomputed every run: the cost of each further second
of audio, (t60 - t6) / 54 (target <= 0.003 s). ``--one-process-too`` alternates each run with one
made in a single process (no second process for a long procedural take's later windows:
inference/generation/forked.py) and prints both, and how much sooner the 60 s is made.

Every run first prints the load and how long 3 million Python additions take (:func:`machine_line`):
this machine's speed changes from day to day by more than most changes measured.

Long takes (``--long 10 30``): `talkrig generate`, procedural and no words, on that many minutes
of real speech (the two recordings over and over), whole process: wall, CPU, peak RSS, and the
seconds each minute took (about the same at every length where a take's cost is linear in it).

Several seeds of one line at once (``--same-line N``): N takes of the whole recording taken
together, the words found by recognition, as a server with N workers runs them; the engine runs
once and the other takes wait for its words (inference/speech/recent_words.py).
"""

import argparse
import logging
import os
import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from talkrig.inference.audio.decode import decode_audio
from talkrig.inference.features.compute import clear_feature_cache
from talkrig.inference.generation.pipeline import GenerateOptions, generate
from talkrig.motion import load_motion
from talkrig.motion.metrics.artifacts import foot_sliding, frozen_fraction, joint_limit_violations, max_jump
from talkrig.motion.metrics.beats import beat_consistency
from talkrig.motion.metrics.distribution import mean_jerk, mean_speed
from talkrig.motion.rotations import geodesic_distance

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "beat2_scott_train"
AUDIO = DATA / "2_scott_0_2_2.wav"
TEXTGRID = DATA / "2_scott_0_2_2.TextGrid"
TAKE = DATA / "2_scott_0_1_1"
SECONDS = 60.0
BODY = np.arange(22)
os.environ["TALKRIG_WORDS_CACHE"] = "off"  # every engine timed afresh, none read from disk


def options_for(backend, library, seed=0):
    extra = {"library": str(library)} if backend == "matching" else {}
    return GenerateOptions(backend=backend, seed=seed, transcript=TEXTGRID.read_text(encoding="utf-8"),
                           backend_options=extra)


def timed_run(audio, options):
    """One pipeline run; returns (result, {stage: seconds}, wall, cpu) with the words stage timed apart."""
    marks = []
    t0, c0 = time.perf_counter(), time.process_time()

    def progress(stage, fraction):
        marks.append((stage, time.perf_counter()))

    result = generate(audio, options, progress=progress)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    stages = {}
    for (stage, t), (_, t_next) in zip(marks, marks[1:]):
        stages[stage] = stages.get(stage, 0.0) + (t_next - t)
    return result, stages, wall, cpu


def speed(backend, audio, library, repeat):
    clear_feature_cache()
    timed_run(audio, options_for(backend, library))  # warm-up: imports, library index
    walls, cpus, gens, words = [], [], [], []
    for _ in range(repeat):
        clear_feature_cache()
        _, stages, wall, cpu = timed_run(audio, options_for(backend, library))
        walls.append(wall - stages.get("words", 0.0))
        cpus.append(cpu)
        gens.append(stages.get("generate", 0.0))
        words.append(stages.get("words", 0.0))
    clear_feature_cache()
    tracemalloc.start()
    timed_run(audio, options_for(backend, library))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    med = statistics.median(walls)
    print(f"{backend:10s} 60 s of audio: pipeline without words median {med:.3f} s wall "
          f"(RTF {med / SECONDS:.4f}, target <= 0.6 s), CPU {statistics.median(cpus):.3f} s, "
          f"generator stage {statistics.median(gens):.3f} s, words (TextGrid) {statistics.median(words):.3f} s, "
          f"min {min(walls):.3f} s over {repeat} runs; peak Python allocations {peak / 2**20:.1f} MiB")


def generate_runs(arguments, repeat):
    """``repeat`` runs of `talkrig generate ARGUMENTS --quiet` as a user runs it (bytecode kept):
    ([wall s], [(user, system) CPU s of the process and its forked child], the children's peak
    RSS in MiB so far)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-m", "talkrig", "generate", *arguments, "--quiet"]
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime))
    return walls, cpus, after.ru_maxrss / 1024


def whole_process(repeat):
    """Median and fastest wall time of `talkrig generate`, process start to file written (one
    untimed run first: the bytecode is written then): on the whole recording with its TextGrid,
    and on the issue's 68 s (the recording and the first 6 s of the other take, no words)."""
    import soundfile

    with tempfile.TemporaryDirectory(prefix="talkrig-bench-process-") as folder:
        longer = Path(folder) / "take68.wav"
        first, rate = soundfile.read(AUDIO, dtype="float32")
        other, _ = soundfile.read(TAKE.with_suffix(".wav"), dtype="float32")
        soundfile.write(longer, np.concatenate([first, other[: int(6.0 * rate)]]), rate)
        for audio, words, label in ((AUDIO, ["--transcript", str(TEXTGRID)], "with its TextGrid"),
                                    (longer, ["--speech", "none"], "no words")):
            walls, cpus, _ = generate_runs([str(audio), *words, "-o", str(Path(folder) / "take.npz")],
                                           repeat + 1)
            walls, cpus = walls[1:], cpus[1:]
            print(f"talkrig generate, {decode_audio(audio).duration:.0f} s {label}, whole process: median "
                  f"{statistics.median(walls):.3f} s, fastest {min(walls):.3f} s over {repeat} runs "
                  f"(target <= 0.6 s for 68 s); CPU {statistics.median(u + k for u, k in cpus):.3f} s "
                  f"(system {statistics.median(k for _, k in cpus):.3f} s)")


def long_takes(minutes_list, repeat):
    """`talkrig generate` (procedural, no words) on long recordings, whole process: wall, CPU
    and peak RSS by the recording's length, and the seconds each minute of audio took, which
    stay about the same from 10 to 30 minutes where a take's cost is linear in its length."""
    import soundfile
    from bench_features import long_speech

    with tempfile.TemporaryDirectory(prefix="talkrig-bench-long-") as folder:
        for minutes in sorted(minutes_list):  # longest last: the children's peak RSS is the last's
            audio = Path(folder) / f"speech{minutes:g}.wav"
            soundfile.write(audio, long_speech(minutes), 16000)
            walls, cpus, peak = generate_runs(
                [str(audio), "--speech", "none", "--max-audio-seconds", str(minutes * 60 + 1),
                 "-o", str(Path(folder) / "take.npz")], repeat)
            wall = statistics.median(walls)
            print(f"talkrig generate, {minutes:g} min of speech, whole process: median {wall:.2f} s "
                  f"({wall / minutes:.2f} s a minute; runs {', '.join(f'{w:.2f}' for w in walls)}), CPU "
                  f"{statistics.median(u + k for u, k in cpus):.2f} s, peak RSS {peak:.0f} MiB")


def marginal_cost(repeat, compare=False):
    """Seconds per further second of audio: procedural, no words, 6 s against 60 s (medians).
    ``compare``: each run also made in one process (no forked second process for the later
    windows), alternating run by run, with the median of the paired differences on 60 s."""
    from talkrig.inference.audio.decode import DecodedAudio
    from talkrig.inference.generation import forked

    decoded = decode_audio(AUDIO)
    options = GenerateOptions(backend="procedural", seed=0, speech="none")
    audio = {seconds: DecodedAudio(decoded.samples[: int(seconds * decoded.sample_rate)], decoded.sample_rate,
                                   name=f"first {seconds} s", hash=f"bench-{seconds}") for seconds in (6, 60)}
    modes = {"as a user runs it": forked.available}
    if compare:
        modes["in one process"] = lambda: False
    walls = {(mode, seconds): [] for mode in modes for seconds in audio}
    for seconds in audio:
        generate(audio[seconds], options)  # warm-up
    try:
        for _ in range(repeat):
            for mode, available in modes.items():
                forked.available = available
                for seconds in audio:
                    clear_feature_cache()
                    t0 = time.perf_counter()
                    generate(audio[seconds], options)
                    walls[(mode, seconds)].append(time.perf_counter() - t0)
    finally:
        forked.available = modes["as a user runs it"]
    for mode in modes:
        medians = {seconds: statistics.median(walls[(mode, seconds)]) for seconds in audio}
        print(f"procedural, no words, {mode}: {medians[6]:.3f} s for 6 s, {medians[60]:.3f} s for 60 s: "
              f"marginal cost {(medians[60] - medians[6]) / 54:.4f} s per second of audio (target <= 0.003)")
    if compare:
        gained = [one - used for used, one in zip(walls[("as a user runs it", 60)], walls[("in one process", 60)])]
        print(f"60 s: {1000 * statistics.median(gained):.0f} ms sooner than in one process "
              f"(median of {repeat} paired runs)")


def angular_speed(motion):
    """Mean angular speed of the body joints, rad/s."""
    return float(geodesic_distance(motion.poses[1:, BODY], motion.poses[:-1, BODY]).mean() * motion.fps)


def scores(motion, onsets):
    return {
        "BC": beat_consistency(motion, onsets),
        "ang speed rad/s": angular_speed(motion),
        "speed m/s": mean_speed(motion),
        "jerk m/s^3": mean_jerk(motion),
        "frozen": frozen_fraction(motion),
        "max jump m": max_jump(motion),
        "foot slide m/s": foot_sliding(motion),
        "limits": joint_limit_violations(motion),
    }


def quality(backends, audio, library, seeds):
    from talkrig.inference.features.compute import compute_features

    real = load_motion(TAKE.with_suffix(".npz"))
    take_audio = decode_audio(TAKE.with_suffix(".wav"))
    real_scores = scores(real, compute_features(take_audio.samples, take_audio.sample_rate).onset_times)
    rows = [("real mocap 2_scott_0_1_1 (45 s)", real_scores)]
    for backend in backends:
        per_seed = []
        for seed in range(seeds):
            result = generate(audio, options_for(backend, library, seed))
            per_seed.append(scores(result.motion, result.features.onset_times))
        rows.append((f"{backend} (median of {seeds} seeds)",
                     {k: statistics.median(s[k] for s in per_seed) for k in per_seed[0]}))
    keys = list(real_scores)
    print("\nquality on 60 s of 2_scott_0_2_2.wav (real take scored on its own audio):")
    print("| motion | " + " | ".join(keys) + " | jerk / real | speed / real |")
    print("|---" * (len(keys) + 3) + "|")
    for name, s in rows:
        ratios = f"{s['jerk m/s^3'] / real_scores['jerk m/s^3']:.2f} | {s['ang speed rad/s'] / real_scores['ang speed rad/s']:.2f}"
        print(f"| {name} | " + " | ".join(f"{s[k]:.3g}" for k in keys) + f" | {ratios} |")


def same_line(count, repeat):
    """Seconds until ``count`` takes of the whole recording (seeds 0..count-1, procedural, the
    words found by recognition, nothing kept from before) are all done, taken at once on threads
    of one process as a server's workers take them: median of ``repeat`` runs."""
    import threading

    from talkrig.inference.speech.timing import RECENT

    decoded = decode_audio(AUDIO)
    generate(decoded, GenerateOptions(backend="procedural", speech="none"))  # warm up
    times = []
    for _ in range(repeat):
        RECENT.clear()
        threads = [threading.Thread(target=generate, args=(decoded, GenerateOptions(
            backend="procedural", seed=seed))) for seed in range(count)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        times.append(time.perf_counter() - start)
    print(f"{count} seeds of {decoded.duration:.0f} s at once, the words found once: "
          f"median {statistics.median(times):.2f} s of {repeat} ({min(times):.2f}-{max(times):.2f})")


def machine_line():
    """The load and how fast this machine runs plain Python now: its speed changes from day to
    day by more than most changes measured here (benchmarks/RESULTS.md, The machine), so every
    run says how quick its hour was: the median of 5 loops of 3 million additions, run as a
    script's top level runs them (the journal's reference loop; within a function they are
    about three times quicker)."""
    loop = compile("total = 0\nfor i in range(3_000_000):\n    total += i\n", "reference", "exec")
    times = []
    for _ in range(5):
        started = time.perf_counter()
        exec(loop, {})
        times.append(time.perf_counter() - started)
    return (f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
            f"3 million Python additions in {statistics.median(times):.2f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--backends", nargs="+", default=["procedural", "matching"])
    parser.add_argument("--process", action="store_true", help="only the whole process of `talkrig generate` and the marginal cost")
    parser.add_argument("--one-process-too", action="store_true",
                        help="with --process: the marginal cost also in one process, alternating")
    parser.add_argument("--same-line", type=int, default=0, metavar="N",
                        help="only N seeds of the whole recording taken at once, the server "
                             "finding the words (N threads, as N server workers run them)")
    parser.add_argument("--long", type=float, nargs="+", metavar="MINUTES",
                        help="only `talkrig generate` on that many minutes of speech, whole process")
    args = parser.parse_args()
    if args.long:
        print(machine_line())
        long_takes(args.long, args.repeat)
        return
    if args.same_line:
        print(machine_line())
        same_line(args.same_line, args.repeat)
        return
    if args.process:
        print(machine_line())
        whole_process(args.repeat)
        marginal_cost(args.repeat, args.one_process_too)
        return
    logging.getLogger("talkrig.inference.speech.timing").setLevel(logging.ERROR)  # words past 60 s are dropped
    decoded = decode_audio(AUDIO)
    audio = decoded.samples[: int(SECONDS * decoded.sample_rate)]
    with tempfile.TemporaryDirectory(prefix="talkrig-bench-lib-") as folder:
        library = Path(folder)  # the real take, linked: one 45 s take of mocap with its audio
        os.symlink(TAKE.with_suffix(".npz"), library / "take.npz")
        os.symlink(TAKE.with_suffix(".wav"), library / "take.wav")
        print(machine_line())
        for backend in args.backends:
            speed(backend, audio, library, args.repeat)
        quality(args.backends, audio, library, args.seeds)
    print(f"\npeak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
