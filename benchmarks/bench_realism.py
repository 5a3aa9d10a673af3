"""Can a classifier tell our motion from the real speaker's? The realism test (a classifier
two-sample test, motion/metrics/realism.py) on the calibration rows, on the real take passed
through each post-processing stage, and on each generator's motion (issue #56).

The only real motion is the BEAT2 take 2_scott_0_1_1 (45 s); its first half is all any
generator may learn from (the matching library, the first-half neural models, the procedural
posture numbers), so the generators are held against the held-out second half's windows.

(a) Calibration: the take's first half (real) against its second half as it is (the floor),
    re-timed (real motion on the wrong audio: the test reads motion only, so this is the
    floor again), a statue in the take's mean pose, played backwards, blurred by one frame,
    with 0.1 degree of jitter.
(b) Stages: the whole real take through each post-processing stage alone and through the whole
    chain, against the untouched take, paired (window k of both held out together): joint
    limits, jitter/wobble smoothing, calming in pauses (the take's own pauses, from its audio
    and TextGrid), resampling 30 -> 24 fps (read back at 30), key poses (the default dictionary
    on the take's words), window blends (10 s windows joined by ``blend_seam``, as
    ``run_windows`` joins them), the feet and leg solve (``plant_feet``), ``postprocess()`` as
    the pipeline calls it, and the pipeline's whole chain (blends, key poses, postprocess).
    The same take jittered by 0.1 degree and blurred by one frame, paired, say how small a
    change the paired test sees. The whole chain again with the key poses drawn by seeds 0-7
    (the row: seed 0), since each pose fired is one more arm excursion the test can see.
(c) Generators: procedural and matching (and with --neural the learned backends that have a
    first-half model: `bench_training.py --first-half`, or --model NAME=DIR) on speech none was
    fitted to (2_scott_0_2_2.wav with its TextGrid; the MFA sample acoustic_corpus.wav with its
    TextGrid), seeds 0-2, all takes pooled against the held-out half; a table backend x part.
    A generator that replays material lets the test recognise copies (a held-out window's twin
    was learned): the first half played verbatim, and matching, are also scored with the
    windows that play one 8 s stretch of the library held out together (c2st's groups).
    The face stage is off (it moves only jaw, eyes and expressions, which the test does not read).

Every row: the whole-body AUC (the larger of logistic regression and gradient-boosted trees),
each part's, and the features that alone separate the two sides best, with both sides' means.
0.5 = cannot tell, 1.0 = always caught.

    .venv/bin/python benchmarks/bench_realism.py [--quick] [--stages-only] [--neural]
        [--model NAME=DIR ...] [--seeds N ...] [--json OUT]
    .venv/bin/python benchmarks/bench_realism.py --levels   # the speaker's levels the stages read
    .venv/bin/python benchmarks/bench_realism.py --sheet docs/images/realism_sheet.png

--quick: seed 0 and the second recording only, no blurred/jitter rows, 3 features per row.
"""

import argparse
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "beat2_scott_train"
MFA = ROOT.parent / "shared" / "data" / "speech_mfa"
TAKE = "2_scott_0_1_1"
SECOND = "2_scott_0_2_2"
FPS = 30.0
WINDOW_SECONDS = 10.0  # the window length of the windowed generators (procedural, matching)
RESAMPLE_FPS = 24.0
KEYPOSE_SEEDS = tuple(range(8))  # the whole chain again with the key poses drawn by each
NEURAL = ("a2g", "dr2", "s2v", "ldm")
SPEECH = ((f"{SECOND}.wav", DATA / f"{SECOND}.wav", DATA / f"{SECOND}.TextGrid"),
          ("acoustic_corpus.wav", ROOT / "exporters" / "assets" / "acoustic_corpus.wav",
           MFA / "acoustic_corpus.TextGrid"))


def take_words(textgrid):
    """The Words of a TextGrid file."""
    from talkrig.inference.speech.transcripts.formats import read_transcript_file, read_words

    return read_words(read_transcript_file(textgrid), textgrid.name)


def pause_weights(real, wav, words):
    """(T,) the pipeline's calm weights for the real take (its audio and words), as generate()
    makes them (calm 1)."""
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.features.activity import speech_activity
    from talkrig.inference.features.compute import features_for
    from talkrig.inference.generation.postprocess import calm_weight

    features = features_for(decode_audio(wav), real.fps)
    weight = calm_weight(speech_activity(features, words), real.fps)
    return np.interp(np.arange(real.n_frames), np.arange(len(weight)), weight)


def window_blends(motion, seconds=WINDOW_SECONDS):
    """``motion`` cut into windows of ``seconds`` and joined again as ``run_windows`` joins a
    generator's windows (each one's head blended toward the continuation of what came before)."""
    from talkrig.inference.generation.windows import blend_seam, window_bounds
    from talkrig.motion import Motion

    out = None
    for start, stop in window_bounds(motion.n_frames, int(round(seconds * motion.fps))):
        part = motion[start:stop]
        out = part if out is None else Motion.concatenate([out, blend_seam(out, part)])
    return out


def whole_chain(real, words, pause, seed=0):
    """The take through the pipeline's whole chain: window blends, the default key poses on its
    words (drawn with ``seed``), ``postprocess()``."""
    from talkrig.inference.generation.keyposes import KeyPoseDictionary, insert_keyposes
    from talkrig.inference.generation.postprocess import postprocess

    posed = insert_keyposes(window_blends(real), words, KeyPoseDictionary.default(), seed)[0]
    return postprocess(posed, fps=real.fps, n_frames=real.n_frames, pause=pause)


def keypose_draws(real, wav, textgrid, seeds=KEYPOSE_SEEDS):
    """{seed: AUC} of the whole chain (paired, against the untouched take) with the key poses
    drawn with each seed: how much the stage row's figure (seed 0) owes to its draw (the
    number of poses fired, each one more arm excursion)."""
    from talkrig.motion.metrics.realism import c2st, feature_set

    words = take_words(textgrid)
    pause = pause_weights(real, wav, words)
    untouched = feature_set(real)
    return {seed: c2st(untouched, whole_chain(real, words, pause, seed), paired=True, top=0).score
            for seed in seeds}


def stages(real, wav, textgrid):
    """[(name, processed Motion)]: the take through each stage alone, then the chains."""
    from talkrig.inference.generation.feet import plant_feet
    from talkrig.inference.generation.keyposes import KeyPoseDictionary, insert_keyposes
    from talkrig.inference.generation.postprocess import (calm_needed, calm_pauses, clamp_joint_limits,
                                                          postprocess, smooth_jitter)
    from talkrig.motion.metrics.realism import blurred, jittered
    from talkrig.motion.resample import resample

    words = take_words(textgrid)
    pause = pause_weights(real, wav, words)
    keyposes = KeyPoseDictionary.default()
    calm = calm_needed(real, pause)

    def chain(motion):
        return postprocess(motion, fps=real.fps, n_frames=real.n_frames, pause=pause)

    return [
        ("0.1 deg jitter per frame (invisible: how small a change the paired test sees)", jittered(real)),
        ("blurred by one frame (reference)", blurred(real)),
        ("joint limits (clamp_joint_limits)", clamp_joint_limits(real)),
        ("jitter and wobble smoothing (smooth_jitter)", smooth_jitter(real)),
        (f"calm in pauses (calm_pauses; the take needs {calm:.2f} of it)", calm_pauses(real, pause)),
        (f"resampling {real.fps:g} -> {RESAMPLE_FPS:g} fps (read back at {real.fps:g})", resample(real, RESAMPLE_FPS)),
        ("key poses (default dictionary, the take's words, seed 0)", insert_keyposes(real, words, keyposes)[0]),
        (f"window blends ({WINDOW_SECONDS:g} s windows, blend_seam)", window_blends(real)),
        ("feet and leg solve (plant_feet)", plant_feet(real)),
        ("postprocess(): limits, smoothing, calm, feet", chain(real)),
        ("whole chain: window blends, key poses, postprocess()", whole_chain(real, words, pause)),
    ]


def pose_change(real, processed, top=3):
    """What a stage does to the take, to read beside its giveaways: the ``top`` joints it turns
    most (mean angle between processed and untouched local rotations, degrees, and the mean
    offset's rotation vector in the joint's own frame, degrees about x, y, z), and how far it
    moves the root (mean and mean vertical, cm)."""
    from talkrig.motion.metrics.realism import JOINTS
    from talkrig.motion.resample import resample
    from talkrig.motion.rotations import axis_angle_to_quat, quat_conjugate, quat_multiply, quat_to_axis_angle
    from talkrig.motion.skeleton import JOINT_NAMES

    if processed.fps != real.fps:
        processed = resample(processed, real.fps)
    n = min(real.n_frames, processed.n_frames)
    turn = quat_multiply(quat_conjugate(axis_angle_to_quat(real.poses[:n, JOINTS])),
                         axis_angle_to_quat(processed.poses[:n, JOINTS]))
    offset = np.degrees(quat_to_axis_angle(turn))  # (T, J, 3)
    angle = np.linalg.norm(offset, axis=-1).mean(axis=0)
    mean = offset.mean(axis=0)
    joints = [f"{JOINT_NAMES[JOINTS[k]]} {angle[k]:.2f} deg (mean offset x {mean[k, 0]:+.1f}, y {mean[k, 1]:+.1f}, "
              f"z {mean[k, 2]:+.1f})" for k in np.argsort(-angle)[:top]]
    moved = (processed.trans[:n] - real.trans[:n]).astype(np.float64) * 100.0
    root = f"root {np.linalg.norm(moved, axis=-1).mean():.2f} cm (vertical {moved[:, 1].mean():+.2f} cm)"
    return "; ".join(joints + [root])


def generate_takes(info, library, models, seeds, speech, extra=None):
    """Motions of one backend on each speech and seed (face stage off; ``extra`` backend options
    on top of the bench's), or a skip reason."""
    from bench_quality import backend_options

    from talkrig.inference.generation.pipeline import GenerateOptions, generate
    from talkrig.inference.speech.transcripts.formats import read_transcript_file
    from talkrig.motion.errors import TalkrigError

    if not info["available"]:
        return None, f"unavailable ({info['error']})"
    try:
        options = {**backend_options(info, library, models), **(extra or {})}
        takes = []
        for _, wav, textgrid in speech:
            transcript = read_transcript_file(textgrid)
            for seed in seeds:
                result = generate(str(wav), GenerateOptions(backend=info["name"], seed=seed, transcript=transcript,
                                                             face="none", backend_options=options))
                takes.append(result.motion)
        return takes, None
    except TalkrigError as exc:
        return None, str(exc)


@contextlib.contextmanager
def played_library_frames():
    """Record which library frames matching plays: yields {"upper": [...], "legs": [...]}, each
    list getting one (T,) array per take generated inside, the library frame its upper body
    (from the segments) and its legs (from their own long stretches) play at each output frame
    (-1 where none). Instrumentation of the matcher's segment and stretch pickers, for holding
    its copies out together (``source_groups``)."""
    from talkrig.plugins.generators.matching import generator as matching, lower_body as legs_module

    played, now = {"upper": [], "legs": []}, {}
    originals = {name: getattr(matching._State, name) for name in ("__init__", "_segment", "_played", "_frames")}
    stretch = legs_module._stretch

    def init(self, request, options, **given):
        played["upper"].append(np.full(request.n_frames, -1))
        played["legs"].append(np.full(request.n_frames, -1))
        now["legs"] = 0
        originals["__init__"](self, request, options, **given)

    def segment(self, t, end, previous):
        now["t"] = t
        return originals["_segment"](self, t, end, previous)

    def planned(self, t, end, previous, start):
        now["t"] = t
        return originals["_played"](self, t, end, previous, start)

    def frames(self, idx, previous):
        upper = played["upper"][-1][now["t"]:now["t"] + len(idx)]
        upper[:] = np.asarray(idx)[:len(upper)]
        return originals["_frames"](self, idx, previous)

    def legs(lib, idx, previous):
        into = played["legs"][-1][now["legs"]:now["legs"] + len(idx)]
        into[:] = np.asarray(idx)[:len(into)]
        now["legs"] += len(idx)
        return stretch(lib, idx, previous)

    for name, patch in (("__init__", init), ("_segment", segment), ("_played", planned), ("_frames", frames)):
        setattr(matching._State, name, patch)
    legs_module._stretch = legs
    try:
        yield played
    finally:
        for name, original in originals.items():
            setattr(matching._State, name, original)
        legs_module._stretch = stretch


def verbatim_takes(library, count, seed=0):
    """(takes, sources): ``count`` takes of twice the library's length, each the library played
    through from a seeded place (wrapping round), and each take's (T,) library frame per frame.
    What a generator that only replays the library would give: with one 22 s half as the
    library, the bound for a generator fitted on it, when its copies are held out together
    (``source_groups``)."""
    rng = np.random.default_rng(seed)
    n = library.n_frames
    sources = [(int(rng.integers(0, n)) + np.arange(2 * n)) % n for _ in range(count)]
    return [library[s] for s in sources], sources


def source_groups(takes, sources):
    """(W,) per window of ``takes`` (as feature_set cuts them) the 8 s block of the library most
    of its frames play: windows replaying the same stretch are held out together."""
    from talkrig.motion.metrics.realism import BLOCK_SECONDS, FEATURE_FPS, WINDOW_SECONDS, feature_set

    windows = feature_set(takes)
    n, block = int(round(WINDOW_SECONDS * FEATURE_FPS)), int(round(BLOCK_SECONDS * FEATURE_FPS))
    return np.array([np.bincount(sources[k][s:s + n] // block).argmax()
                     for k, s in zip(windows.takes, windows.starts)])


def verbatim_rows(held_out, library, count, top):
    """The library played verbatim as ``count`` takes, its copies held out together (the bound
    for a generator fitted on it) and each take's blocks alone (what the test scores when it
    may recognise a copy it learned)."""
    from talkrig.motion.metrics.realism import c2st

    takes, sources = verbatim_takes(library, count)
    return {"the first half played verbatim, as many takes as a generator, copies held out together":
            c2st(held_out, takes, top=top, groups=source_groups(takes, sources)),
            "the same, each take's blocks held out alone": c2st(held_out, takes, top=top)}


def against_fitting(fitted, takes, top=3):
    """What a generator adds to the motion it was fitted on (the first half), read on that
    motion alone, no held-out window: the ``top`` features that tell its takes from it on their
    own (single-feature AUC: nothing is trained, so a replayed copy is not recognised) and its
    windows' spread of pose (median over the rotation spreads) as a share of the fitted
    motion's. How matching's join settings were chosen."""
    from talkrig.motion.metrics.realism import feature_set, giveaways

    own, theirs = feature_set(fitted), feature_set(takes)
    spread = np.array([" rot6d " in n and n.endswith(" std") for n in own.names])
    ratio = float(np.median(theirs.values[:, spread].mean(axis=0) / own.values[:, spread].mean(axis=0)))
    return giveaways(own, theirs, top), ratio


def network_followed(played, network, per_recording):
    """(same, other): how closely a learned backend's takes played through its training take
    follow its network's own motion (``follow`` 0): the mean correlation of the wrists' paths
    (root-relative positions, per axis) with the network's take of the same recording and seed,
    and with its take of the next recording, same seed (what following nothing scores)."""
    from talkrig.motion.metrics.kinematics import joint_positions
    from talkrig.motion.skeleton import WRISTS

    def paths(motion):
        return joint_positions(motion, list(WRISTS)).reshape(motion.n_frames, -1)

    def corr(a, b):
        n = min(len(a), len(b))
        return float(np.mean([np.corrcoef(a[:n, k], b[:n, k])[0, 1] for k in range(a.shape[1])]))

    mine, theirs = [paths(m) for m in played], [paths(m) for m in network]
    shifted = theirs[per_recording:] + theirs[:per_recording]
    return (float(np.mean([corr(a, b) for a, b in zip(mine, theirs)])),
            float(np.mean([corr(a, b) for a, b in zip(mine, shifted)])))


def backend_rows(real, library, models, names, seeds, speech, top, telling=None, fitting=None, followed=None):
    """{row: Realism} of each backend's takes (pooled) against the held-out half, after the
    rows that say how to read them; and the skipped backends. ``telling``: a dict that gets
    each backend's most and least real window as [(label, Motion of 2 s)]; ``fitting``: a dict
    that gets each backend's :func:`against_fitting` on the first half; ``followed``: a dict
    that gets each learned backend's :func:`network_followed` (with two recordings or more)."""
    from talkrig.inference.generation.generators import list_generators
    from talkrig.motion.metrics.realism import c2st, feature_set, statue

    half = real.n_frames // 2
    held_out = feature_set(real[half:])
    rows = {"the take's first half (the floor)": c2st(held_out, real[:half], top=top),
            "a statue in the first half's mean pose": c2st(held_out, statue(real[:half], half), top=top),
            **verbatim_rows(held_out, real[:half], len(seeds) * len(speech), top)}
    skipped = []
    for info in list_generators():
        if info["name"] not in names:
            continue
        start = time.perf_counter()
        with played_library_frames() as played:
            takes, problem = generate_takes(info, library, models, seeds, speech)
        if takes is None:
            skipped.append(f"{info['name']}: {problem}")
            continue
        seconds = sum(t.duration for t in takes)
        print(f"{info['name']}: {len(takes)} takes, {seconds:.0f} s of motion in "
              f"{time.perf_counter() - start:.0f} s", file=sys.stderr)
        start = time.perf_counter()
        rows[info["name"]] = c2st(held_out, takes, top=top)
        if fitting is not None:
            fitting[info["name"]] = against_fitting(real[:half], takes)
        if followed is not None and info["name"] in NEURAL and len(speech) > 1:
            network, _ = generate_takes(info, library, models, seeds, speech, extra={"follow": 0.0})
            followed[info["name"]] = network_followed(takes, network, len(seeds))
        for part, label in (("upper", "upper body plays"), ("legs", "legs play")):  # a library player: its copies
            frames = played[part]  # held out together too, by where its upper body or its legs play
            if frames and len(frames) == len(takes) and all((f >= 0).any() for f in frames):
                rows[f"{info['name']}, the windows whose {label} one 8 s stretch of the library held out "
                     "together"] = c2st(held_out, takes, top=top,
                                        groups=source_groups(takes, [np.maximum(f, 0) for f in frames]))
        print(f"{info['name']}: tested in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        if telling is not None:
            telling[info["name"]] = window_clips(info["name"], rows[info["name"]], takes)
    return rows, skipped


def table(rows, labels=None):
    """Markdown: a row per test, whole body (logistic, trees) and each part."""
    from talkrig.motion.metrics.realism import PARTS

    lines = ["| | whole body | logistic | trees | " + " | ".join(PARTS) + " | windows real / other |",
             "|---" * (5 + len(PARTS)) + "|"]
    for name, r in rows.items():
        cells = [f"{r.score:.2f}", f"{r.logistic:.2f}", f"{r.trees:.2f}"]
        cells += [f"{r.parts[p]['score']:.2f}" for p in PARTS]
        lines.append(f"| {(labels or {}).get(name, name)} | " + " | ".join(cells)
                     + f" | {r.real_windows} / {r.generated_windows} |")
    return lines


def giveaway_lines(rows, labels=None):
    """A list item per row: its giveaway features, AUC and both sides' means."""
    lines = []
    for name, r in rows.items():
        found = "; ".join(f"{g.name} ({g.part}) {g.auc:.2f}: real {g.real:.3g}, other {g.generated:.3g}"
                          for g in r.giveaways)
        lines.append(f"- {(labels or {}).get(name, name)}: {found}")
    return lines


def section(title, rows, labels=None):
    print(f"\n### {title}\n")
    print("\n".join(table(rows, labels)))
    print("\nfeatures that alone tell the two sides apart (AUC, mean real vs the other side):\n")
    print("\n".join(giveaway_lines(rows, labels)))


def window_clips(name, result, takes):
    """[(label, Motion)]: the 2 s the classifier found most real and least real of a backend."""
    from talkrig.motion.metrics.realism import FEATURE_FPS, WINDOW_SECONDS, telling_windows
    from talkrig.motion.resample import resample

    clips = []
    for kind, (take, start, score) in zip(("most real", "least real"), telling_windows(result, takes)):
        motion = takes[take] if takes[take].fps == FEATURE_FPS else resample(takes[take], FEATURE_FPS)
        clips.append((f"{name}, {kind} ({score:.2f})", motion[start:start + int(WINDOW_SECONDS * FEATURE_FPS)]))
    return clips


def render_telling_sheet(real, telling, output):
    """A contact sheet (front and side) of the real take's second half and, per backend, the
    windows the classifier found most and least real: what to look at first."""
    from contact_sheet import render_sheet

    half = real[real.n_frames // 2:]
    rows = [("real (second half)", half[120:180])] + [clip for clips in telling.values() for clip in clips]
    render_sheet(rows, [0.2, 0.7, 1.2, 1.7], Path(output), width=160, height=220, views=("front", "side"))
    from PIL import Image

    with Image.open(output) as sheet:  # grey figures on grey: a palette holds it at a fifth of the bytes
        small = sheet.convert("RGB").quantize(colors=128, dither=Image.Dither.NONE)
    small.save(output, optimize=True)
    print(f"wrote {output}")


def print_levels(seconds=10.0):
    """The real take's levels behind the stages' constants (feet.REAL_LEVELS, postprocess's
    REAL_WOBBLE and REAL_RESIDUAL_DEG), in each 10 s piece: the stages leave a take at these
    levels as it is."""
    from talkrig.inference.generation.feet import LEGS, sole_tilt
    from talkrig.inference.generation.postprocess import wobble_levels
    from talkrig.motion import load_motion
    from talkrig.motion.metrics.distribution import mean_jerk
    from talkrig.motion.metrics.feet import longest_lift
    from talkrig.motion.metrics.posture import foot_skate
    from talkrig.motion.skeleton import JOINT_NAMES

    real = load_motion(DATA / f"{TAKE}.npz")
    n = int(seconds * real.fps)
    print("| piece | skate m/s | ankle jerk m/s^3 | longest lift s | sole tilt rad | wobble body / fingers "
          "| root wobble | residual deg, largest three |\n|---|---|---|---|---|---|---|---|")
    for start in range(0, real.n_frames - n + 1, n):
        piece = real[start:start + n]
        w = wobble_levels(piece)
        top = np.argsort(-w["residual_deg"][:22])[:3]
        print(f"| {start / real.fps:.0f}-{(start + n) / real.fps:.0f} s | {foot_skate(piece):.3f} | "
              f"{mean_jerk(piece, [LEGS[0][2], LEGS[1][2]]):.1f} | {longest_lift(piece):.2f} | "
              f"{sole_tilt(piece):.3f} | {w['wobble'][:22].max():.2f} / {w['wobble'][25:].max():.2f} | "
              f"{w['root_wobble']:.2f} | "
              + ", ".join(f"{JOINT_NAMES[j]} {w['residual_deg'][j]:.2f}" for j in top) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="seed 0, one recording, fewer rows")
    parser.add_argument("--stages-only", action="store_true", help="calibration and stages, no generators")
    parser.add_argument("--neural", action="store_true", help="also the learned backends with a first-half model")
    parser.add_argument("--model", action="append", default=[], metavar="NAME=DIR",
                        help="model trained on the first half for a learned backend")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], metavar="N",
                        help="the generators' seeds (default 0 1 2; the figures in RESULTS.md)")
    parser.add_argument("--json", metavar="OUT", help="also write every result as JSON")
    parser.add_argument("--sheet", metavar="PNG", help="also render each backend's most and least real "
                        "windows beside the real take (front and side, headless Blender)")
    parser.add_argument("--levels", action="store_true",
                        help="only print the speaker's levels the post-processing stages read (per 10 s piece)")
    args = parser.parse_args()
    if args.levels:
        print_levels()
        return

    from bench_quality import split_take

    from talkrig.motion import load_motion
    from talkrig.motion.metrics.realism import CALIBRATION, c2st, calibration, feature_set

    top = 3 if args.quick else 5
    real = load_motion(DATA / f"{TAKE}.npz")
    start = time.perf_counter()
    results = {}
    rows = calibration(real, extra=not args.quick, top=top)
    section(f"calibration: the take's first half (real, {real.n_frames // 2} frames) against", rows, CALIBRATION)
    results["calibration"] = rows

    untouched = feature_set(real)
    processed = stages(real, DATA / f"{TAKE}.wav", DATA / f"{TAKE}.TextGrid")
    rows = {name: c2st(untouched, motion, paired=True, top=top) for name, motion in processed}
    section("post-processing stages: the real take through each, against the untouched take (paired)", rows)
    changes = {name: pose_change(real, motion) for name, motion in processed}
    print("\nwhat each stage changes (joints it turns most, mean over the take; the root):\n")
    print("\n".join(f"- {name}: {change}" for name, change in changes.items()))
    results["stages"] = rows
    if not args.quick:
        draws = keypose_draws(real, DATA / f"{TAKE}.wav", DATA / f"{TAKE}.TextGrid")
        scores = np.array(list(draws.values()))
        print(f"\nthe whole chain with the key poses drawn by seeds {min(draws)}-{max(draws)} (the row above: "
              f"seed 0): {', '.join(f'{s:.3f}' for s in scores)}; mean {scores.mean():.3f}")
        results["keypose_draws"] = draws

    if not args.stages_only:
        names = ["procedural", "matching"] + (list(NEURAL) if args.neural else [])
        seeds = (0,) if args.quick else tuple(args.seeds)
        speech = SPEECH[:1] if args.quick else SPEECH
        models = dict(item.split("=", 1) for item in args.model)
        with tempfile.TemporaryDirectory(prefix="talkrig-bench-realism-") as tmp:
            library = split_take(Path(tmp), real)[0]
            telling = {} if args.sheet else None
            fitting, followed = {}, {}
            rows, skipped = backend_rows(real, library, models, names, seeds, speech, top, telling, fitting,
                                         followed)
        section(f"generators on unseen speech ({', '.join(s[0] for s in speech)}; seeds "
                f"{', '.join(map(str, seeds))}) against the take's held-out second half", rows)
        print("\neach generator against the motion it was fitted on (the first half; single features, "
              "nothing trained): what it adds of its own\n")
        for name, (found, ratio) in fitting.items():
            print(f"- {name}: windows' pose spread {ratio:.2f}x the first half's; " + "; ".join(
                f"{g.name} {g.auc:.2f}: first half {g.real:.3g}, {name} {g.generated:.3g}" for g in found))
        if followed:
            print("\nthe learned backends played through their training take, against their network's own "
                  "motion (`follow` 0): the wrists' paths' correlation with it on the same recording and "
                  "seed (with it on the other recording, what following nothing scores)\n")
            for name, (same, other) in followed.items():
                print(f"- {name}: {same:.2f} ({other:.2f})")
        for line in skipped:
            print(f"- skipped {line}")
        results["generators"] = rows
        results["skipped"] = skipped
        if args.sheet:
            render_telling_sheet(real, telling, args.sheet)
    print(f"\nbench_realism: {time.perf_counter() - start:.0f} s")
    if args.json:
        data = {k: (v if k in ("skipped", "keypose_draws") else {n: r.to_dict() for n, r in v.items()})
                for k, v in results.items()}
        data["stage_changes"] = changes
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
