"""Motion quality of every generator on speech no model was trained on, beside the baselines that
could fake a good figure, with contact sheets to judge by eye.

The only real motion is the BEAT2 take 2_scott_0_1_1 (45 s). Its first half (motion + audio) is
all any generator may learn from: the matching library, and the neural models trained on it
(`benchmarks/bench_training.py --first-half`, or any folder given with --model NAME=DIR).
Three settings of unseen speech:

- held-out half: the take's second 22.5 s of audio, against its own motion (ground truth:
  L1/PCK too).
- second recording: 2_scott_0_2_2.wav (62 s, the same speaker, no motion exists).
- lecture: the sound of the lecture video (another speaker in a hall, 203 s), when given with
  --lecture WAV (extract it with ffmpeg: see RESULTS.md).
- damaged (--damaged): the held-out half under rumble and hum (against its own motion), and the
  second recording with hiss at 10 dB SNR, as users' recordings come.

The distribution figures (speed histograms, angular speed, jerk) compare with the whole real
take everywhere: the speaker's statistics over 45 s, not the noisier 22.5 s of one half (the
real held-out half scores against it in its own row).

Each table holds the real motion of the audio (where it exists), then the baselines a generator
must beat for its figures to mean anything (the first half's mean pose held still; real motion
shifted in time: the right speaker on the wrong audio), then each generator: means over --samples seeds, seed
diversity across them, and the audio sensitivity of seed 0 (the same seed on silence and on
another recording). Every figure that does not beat its baseline is listed under its table.

A third table per setting gives the realism test (motion/metrics/realism.py: can a classifier
tell 2 s windows of the motion, all seeds pooled, from the whole real take's? AUC 0.5 = no, 1.0
= always; whole body and per part), the features that give each row away listed under it. The
whole take includes the first half the generators learned from: benchmarks/bench_realism.py
holds them against the held-out half alone, and passes real motion through each stage.

    .venv/bin/python benchmarks/bench_quality.py [--samples N] [--backends NAME ...]
        [--lecture WAV] [--damaged] [--model NAME=DIR ...] [--sheets DIR] [--json OUT] [--markdown OUT]
"""

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "beat2_scott_train"
TAKE = "2_scott_0_1_1"
SECOND = "2_scott_0_2_2"
SHEET_TIMES = (1.5, 4.0, 6.5, 9.0, 11.5, 14.0)
SHEET_SIZE = "120x150"  # per panel: front and side views of every moment
# The figures the markdown summary shows, in this order (keys of motion.metrics.METRICS).
SUMMARY = ("l1", "pck", "beat_consistency", "angular_speed_ratio", "jerk_ratio", "speed_hellinger",
           "fkd", "pause_speed_ratio", "longest_idle_speech", "speed_energy_correlation", "silence_distance",
           "other_distance", "other_relative", "pause_jaw_ratio", "seed_diversity", "foot_pops",
           "longest_lift", "max_jump")
# Where the body is (motion/metrics/posture.py): a second table per setting, in this order.
POSTURE = ("pose_fd_body", "pose_fd_arms", "pose_fd_legs", "pose_fd_spine", "leg_activity_ratio",
           "root_travel_ratio", "foot_skate", "angular_jerk_ratio", "jerk_ratio", "stance_spread",
           "knee_flexion", "knee_flexion_p95", "pelvis_offset", "pelvis_offset_p95")
# The realism test (motion/metrics/realism.py): a third table per setting.
REALISM = ("realism_auc", "realism_auc_arms", "realism_auc_trunk", "realism_auc_legs", "realism_auc_hands")


@dataclass
class Setting:
    title: str
    audio: Path  # what the generators hear
    reference: object  # Motion the distribution metrics compare with: the whole real take
    training: object  # the real motion generators may learn from (its mean: the static baseline)
    truth: object = None  # Motion of this very audio, or None
    other: Path = None  # another recording, for the audio-sensitivity figure
    person: list = None  # captured takes of the speaker of this audio (another person), or None


def split_take(folder, real):
    """The take's first half as a library (motion + audio) and its second half's audio.

    Returns (library folder, second-half wav path, second-half Motion).
    """
    import soundfile

    from talkrig.inference.audio.decode import decode_audio
    from talkrig.motion import save_motion

    half = real.n_frames // 2
    audio = decode_audio(DATA / f"{TAKE}.wav")
    cut = int(round(half / real.fps * audio.sample_rate))
    library = folder / "library"
    library.mkdir()
    save_motion(real[:half], library / f"{TAKE}_first_half.npz")
    soundfile.write(library / f"{TAKE}_first_half.wav", audio.samples[:cut], audio.sample_rate)
    wav = folder / f"{TAKE}_second_half.wav"
    soundfile.write(wav, audio.samples[cut:], audio.sample_rate)
    return library, wav, real[half:]


def damaged_settings(folder, half_wav, real, first_half, second_half):
    """Settings of damaged copies: the held-out half with rumble and hum (its own motion is
    still the truth), the second recording with hiss at 10 dB SNR."""
    import soundfile
    from bench_phrasing import degrade

    from talkrig.inference.audio.decode import decode_audio

    rng = np.random.default_rng(11)
    out = []
    for title, source, kind, truth, other in (
        ("held-out half, rumble and hum: against its own motion", half_wav, "rumble", second_half,
         DATA / f"{SECOND}.wav"),
        (f"second recording, hiss at 10 dB SNR: {SECOND}.wav (no motion)", DATA / f"{SECOND}.wav", "hiss10",
         None, half_wav),
    ):
        audio = decode_audio(source)
        wav = folder / f"{kind}.wav"
        samples = degrade(audio.samples.astype(np.float64), kind, rng)
        soundfile.write(wav, np.clip(samples, -1.0, 1.0).astype(np.float32), audio.sample_rate)
        out.append(Setting(title, wav, real, first_half, truth=truth, other=other))
    return out


def backend_options(info, library, models):
    """Options pointing a generator at the first-half library or its first-half model."""
    from talkrig.motion.errors import TalkrigError
    from talkrig.plugins.neural.modeldir import default_model_dir

    caps, name = info["capabilities"], info["name"]
    names = [opt["name"] for opt in info.get("options", [])]
    options = {"library": str(library)} if caps.get("needs_data") and "library" in names else {}
    if caps.get("needs_model"):
        folder = models.get(name) or default_model_dir(name).parent / "bench" / f"{name}-first-half"
        if not Path(folder).is_dir():
            raise TalkrigError(f"no model trained on the first half in {folder} "
                               "(run benchmarks/bench_training.py --first-half, or pass --model)")
        options["model"] = str(folder)
    return options


def run_setting(setting, generators, samples, library, models, sheets=None):
    from talkrig.inference.audio.decode import decode_audio
    from talkrig.inference.evaluate import (audio_context, format_table, judge, score_backend,
                                            score_baselines, score_motion)
    from talkrig.motion.errors import TalkrigError
    from talkrig.motion.metrics import METRICS

    audio = decode_audio(setting.audio)
    fps = setting.reference.fps
    context = audio_context(audio, fps)
    n_frames = int(round(audio.duration * fps))
    columns = []
    if setting.truth is not None:  # the real motion of this audio, against the whole take
        columns.append(score_motion(setting.truth, "real", "real motion of this audio", setting.reference,
                                    context))
        columns[-1].kind = "reference"
    columns += score_baselines(setting.reference, n_frames, context, ground_truth=setting.truth,
                               mean_of=setting.training, shift_of=setting.truth)
    skipped, takes, seeds = [], {}, {}
    for info in generators:
        name = info["name"]
        if not info["available"]:
            skipped.append(f"{name}: unavailable ({info['error']})")
            continue
        try:
            options = backend_options(info, library, models)
            scored, motions = score_backend(name, audio, samples, 0, setting.reference, options,
                                            ground_truth=setting.truth, other_audio=setting.other)
        except TalkrigError as exc:
            skipped.append(f"{name}: {exc}")
            continue
        scored.metrics["rtf"] = scored.seconds / audio.duration
        columns.append(scored)
        takes[name], seeds[name] = motions[0], motions
    judge(columns)
    print(f"\n### {setting.title}: {samples} seeds per generator")
    print(format_table(columns))
    for line in skipped:
        print(f"skipped {line}")
    if sheets is not None:
        contact_sheet(setting, takes, sheets)
    result = {"columns": [c.to_dict() for c in columns], "skipped": skipped}
    if setting.person:
        result["person"] = person_rows(setting.person, setting.reference, seeds)
        print(f"\nposture against the captured takes of this audio's speaker ({len(setting.person)} takes, "
              f"{sum(t.duration for t in setting.person):.1f} s)")
        print("\n".join(_table(result["person"], PERSON, METRICS)))
    return result


# The figures against a second person's captured takes, in this order.
PERSON = ("pose_fd_body", "pose_fd_arms", "pose_fd_legs", "pose_fd_spine", "leg_activity_ratio",
          "root_travel_ratio", "foot_skate", "foot_skate_ratio", "angular_jerk_ratio")


def person_posture(motion, person):
    """The posture figures of ``motion`` against the takes of a person (a list of Motion, e.g.
    the shots captured from a video): pose distances against all their frames, and each
    figure's ratio to the takes' own (their frame-weighted mean, every take on its own: no
    jumps between takes counted)."""
    from talkrig.motion.metrics.distribution import frechet_distance
    from talkrig.motion.metrics.posture import (POSTURE_PARTS, angular_jerk, foot_skate, leg_activity,
                                                pose_features, root_travel)

    out = {}
    for part, joints in POSTURE_PARTS.items():
        theirs = np.concatenate([pose_features(t, joints) for t in person])
        out[f"pose_fd_{part}"] = frechet_distance(pose_features(motion, joints), theirs)
    for name, measure in (("leg_activity", leg_activity), ("root_travel", root_travel),
                          ("foot_skate", foot_skate), ("angular_jerk", angular_jerk)):
        mine = measure(motion)
        real = np.average([measure(t) for t in person], weights=[t.n_frames for t in person])
        out[name], out[f"{name}_ratio"] = mine, (mine / real if real > 0 else float("nan"))
    return out


def person_rows(person, shared, seeds):
    """Rows of the posture table against a second person: their own second halves against
    their first halves, a statue in their mean pose, the shared take's speaker (the one every
    model learned from), then each generator's seeds (mean)."""
    from talkrig.inference.evaluate import static_pose
    from talkrig.motion.metrics import mean_reports

    first = [t[:t.n_frames // 2] for t in person]
    second = [t[t.n_frames // 2:] for t in person]
    together = _joined(first)
    halves = mean_reports([person_posture(t, first) for t in second])
    rows = [{"name": "the person, other halves", "kind": "reference", "metrics": halves},
            {"name": "statue in the person's mean pose", "kind": "baseline",
             "metrics": person_posture(static_pose(together, together.n_frames), person)},
            {"name": "the shared take's speaker (BEAT2)", "kind": "baseline",
             "metrics": person_posture(shared, person)}]
    for name, motions in seeds.items():
        rows.append({"name": name, "kind": "generated",
                     "metrics": mean_reports([person_posture(m, person) for m in motions])})
    return rows


def person_takes(folder):
    """The captured takes in ``folder`` that show the whole body (``posture`` "standing" in the
    capture's NAME.capture.json: in the others the legs were out of view and stand in a default
    pose); every take when no capture record is there."""
    from talkrig.motion import load_motion

    names = None
    records = sorted(folder.glob("*.capture.json"))
    if records:
        names = {shot["take"] for record in records for shot in json.loads(record.read_text())["shots"]
                 if shot.get("take") and shot.get("posture") == "standing"}
    return [load_motion(p) for p in sorted(folder.glob("*.npz")) if names is None or p.stem in names]


def _joined(takes):
    """One Motion of the takes' frames one after another (for a mean pose)."""
    from talkrig.motion import Motion

    return Motion(poses=np.concatenate([t.poses for t in takes]), trans=np.concatenate([t.trans for t in takes]),
                  fps=takes[0].fps)


def contact_sheet(setting, takes, folder):
    """Save seed 0 of every generator and render them under the real motion of the audio (or,
    where there is none, the real take on other speech)."""
    import subprocess

    from talkrig.inference.evaluate import shifted_take
    from talkrig.motion import save_motion

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = setting.title.split(":")[0].replace(" ", "_").replace("-", "_")
    n = min(m.n_frames for m in takes.values()) if takes else setting.reference.n_frames
    if setting.truth is not None:
        rows = [("real", setting.truth)]
    else:
        rows = [("real take, other speech", shifted_take(setting.reference, n))]
    rows += list(takes.items())
    specs = []
    for k, (label, motion) in enumerate(rows):
        path = folder / f"{stem}_{k}.npz"
        save_motion(motion, path)
        specs.append(f"{label}={path}")
    output = folder / f"{stem}.png"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "contact_sheet.py"), *specs,
                    "--times", ",".join(str(t) for t in SHEET_TIMES), "--output", str(output),
                    "--views", "front,side", "--size", SHEET_SIZE],
                   check=True, capture_output=True)
    print(f"contact sheet: {output}")


def markdown(results):
    """One markdown table per setting: a row per motion, the SUMMARY figures as columns."""
    from talkrig.inference.evaluate import TABLE_METRICS

    lines = []
    for title, result in results.items():
        columns = result["columns"]
        lines.append(f"**{title}**\n")
        lines += _table(columns, SUMMARY, TABLE_METRICS)
        lines.append("\nposture (against the whole real take; *real, other half*: its second half "
                     "against its first)\n")
        lines += _table(columns, POSTURE, TABLE_METRICS)
        lines.append("\nrealism: classifier two-sample test AUC against the whole real take (0.5 = cannot "
                     "tell; *real, other half*: against its first half)\n")
        lines += _table(columns, REALISM, TABLE_METRICS)
        for c in columns:
            for note in c["notes"]:
                if "does not beat" in note or "pauses" in note or note.startswith("realism"):
                    lines.append(f"- {c['name']}: {note}")
        for line in result["skipped"]:
            lines.append(f"- skipped {line}")
        if result.get("person"):
            lines.append("\nposture against the captured takes of this audio's own speaker (a second person)\n")
            lines += _table(result["person"], PERSON, TABLE_METRICS)
        lines.append("")
    return "\n".join(lines)


def _table(columns, wanted, metrics):
    """Markdown rows: a row per motion, the ``wanted`` figures any column has as columns."""
    keys = [k for k in wanted if any(c["metrics"].get(k) is not None for c in columns)]
    lines = ["| motion | " + " | ".join(f"{metrics[k].label} ({metrics[k].unit})" if metrics[k].unit
                                        else metrics[k].label for k in keys) + " |",
             "|---" * (len(keys) + 1) + "|"]
    for c in columns:
        name = f"*{c['name']}*" if c["kind"] != "generated" else c["name"]
        lines.append(f"| {name} | " + " | ".join(_cell(c["metrics"].get(k)) for k in keys) + " |")
    return lines


def _cell(value):
    if value is None or not np.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    return f"{value:.3g}" if abs(value) >= 0.01 else f"{value:.1e}"


def report_seconds(real, repeats=5):
    """How long every metric of one take takes (the speed table's row)."""
    import statistics

    from talkrig.inference.evaluate import audio_context
    from talkrig.motion.metrics import quality_report

    context = audio_context(DATA / f"{TAKE}.wav", real.fps)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        quality_report(real, reference=real, ground_truth=real, **context.report_kwargs(real.n_frames))
        times.append(time.perf_counter() - start)
    print(f"quality_report (every metric) on the {real.duration:.0f} s take, {repeats} runs: "
          f"median {statistics.median(times):.2f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3, help="seeds per generator (default 3)")
    parser.add_argument("--backends", nargs="*", help="only these generators (default: all available)")
    parser.add_argument("--lecture", metavar="WAV", help="the lecture video's sound, decoded")
    parser.add_argument("--person", metavar="DIR",
                        help="takes captured from the lecture video (`talkrig capture`): the lecture's "
                             "speaker, a second person its posture figures are also given against")
    parser.add_argument("--damaged", action="store_true",
                        help="also the held-out half with rumble and the second recording with hiss")
    parser.add_argument("--model", action="append", default=[], metavar="NAME=DIR",
                        help="model trained on the first half for a neural generator")
    parser.add_argument("--sheets", metavar="DIR", help="also save seed 0 and render contact sheets here")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON")
    parser.add_argument("--markdown", metavar="OUT", help="also write summary tables as markdown")
    args = parser.parse_args()

    from talkrig.inference.generation.generators import list_generators
    from talkrig.motion import load_motion

    models = dict(item.split("=", 1) for item in args.model)
    real = load_motion(DATA / f"{TAKE}.npz")
    report_seconds(real)
    generators = [g for g in list_generators() if not args.backends or g["name"] in args.backends]
    start = time.perf_counter()
    results = {}
    with tempfile.TemporaryDirectory(prefix="talkrig-bench-quality-") as tmp:
        library, half_wav, second_half = split_take(Path(tmp), real)
        first_half = real[:real.n_frames // 2]
        settings = [
            Setting(f"held-out half: the second {second_half.duration:.1f} s of {TAKE} against its own motion",
                    half_wav, real, first_half, truth=second_half, other=DATA / f"{SECOND}.wav"),
            Setting(f"second recording: {SECOND}.wav (62 s, no motion)",
                    DATA / f"{SECOND}.wav", real, first_half, other=half_wav),
        ]
        if args.damaged:
            settings += damaged_settings(Path(tmp), half_wav, real, first_half, second_half)
        if args.lecture:
            person = person_takes(Path(args.person)) if args.person else None
            settings.append(Setting("lecture: the lecture video's sound (203 s, another speaker)",
                                    Path(args.lecture), real, first_half, other=DATA / f"{SECOND}.wav",
                                    person=person))
        for setting in settings:
            results[setting.title] = run_setting(setting, generators, args.samples, library, models,
                                                 args.sheets)
    print(f"\nbench_quality: {time.perf_counter() - start:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    if args.markdown:
        Path(args.markdown).write_text(markdown(results) + "\n")


if __name__ == "__main__":
    main()
