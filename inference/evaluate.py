"""Score motions with the quality metrics: files against a real take, or a backend's own output,
beside the baselines that could fake a good figure.

A static mean pose has a low joint error (regression to the mean) and the real take on the wrong
audio has real-looking dynamics and beat consistency: a generator's figure means something only
where it beats the right one of them (``judge``). Against a real take every column also gets
the realism test (``motion.metrics.realism``: can a classifier tell its windows from the real
take's? AUC 0.5 = no, 1.0 = always) and the features that give it away (``add_realism``). The
shells (`talkrig eval`, benchmarks/bench_quality.py) call these functions and print
``format_table``; the metrics themselves live in motion/metrics.
"""

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..motion.errors import TalkrigError
from ..motion.metrics import METRICS, mean_reports, quality_report
from ..motion.metrics.accuracy import FRAME_TOLERANCE
from ..motion.metrics.realism import REALISM_METRICS

log = logging.getLogger(__name__)

SAME_AUDIO_SECONDS = 1.0  # a reference this close in length to the motion is of its audio
TABLE_METRICS = {**METRICS, **REALISM_METRICS}  # what a table and its JSON can show
GIVEAWAYS = 3  # features named under the table per column
MOTION_ONLY = ("realism: not run, this is the real take's own motion and the test reads motion only "
               "(on any audio it is the real take)")


@dataclass
class Scored:
    """One column of an evaluation: a motion (or N samples of one backend) and its metrics."""

    name: str
    source: str  # file path, or "backend NAME" with its options
    frames: int
    fps: float
    metrics: dict
    notes: list = field(default_factory=list)
    seconds: float | None = None  # generation time per sample, when we generated it
    kind: str = "generated"  # "generated", "reference" (the real take) or "baseline"

    def to_dict(self):
        return {
            "name": self.name,
            "source": self.source,
            "frames": self.frames,
            "fps": self.fps,
            "metrics": {k: _json_number(v) for k, v in self.metrics.items()},
            "notes": list(self.notes),
            "seconds_per_sample": self.seconds,
            "kind": self.kind,
        }


def _json_number(value):
    return None if value is None or not np.isfinite(value) else float(value)


def audio_onsets(audio, fps=30.0):
    """Onset times (seconds) of an audio file, bytes or DecodedAudio, from the audio front-end."""
    return audio_context(audio, fps).onsets


@dataclass
class AudioContext:
    """What the audio-aware metrics need of a recording, at the motion frame rate.

    onsets : (N,) seconds. speaking : (T,) bool, pauses of MIN_PAUSE or longer are False.
    energy : (T,) RMS per frame. duration : seconds.
    """

    onsets: np.ndarray
    speaking: np.ndarray
    energy: np.ndarray
    duration: float

    def report_kwargs(self, n_frames):
        """quality_report keyword arguments for a motion of ``n_frames`` frames."""
        return {"onset_times": self.onsets, "speaking": _fit(self.speaking, n_frames),
                "energy": _fit(self.energy, n_frames)}


def audio_context(audio, fps=30.0, words=None):
    """AudioContext of an audio file, bytes or DecodedAudio (words: known timings, optional)."""
    from .features.activity import MIN_PAUSE, close_gaps, speech_activity
    from .audio.decode import DecodedAudio, decode_audio
    from .features.compute import features_for

    decoded = audio if isinstance(audio, DecodedAudio) else decode_audio(audio)
    features = features_for(decoded, fps)
    speaking = close_gaps(speech_activity(features, words), round(MIN_PAUSE * fps))
    return AudioContext(onsets=np.asarray(features.onset_times, dtype=np.float64), speaking=speaking,
                        energy=np.asarray(features.rms, dtype=np.float64), duration=decoded.duration)


def _fit(values, n):
    """values (T,) cut or extended (last value repeated) to n frames."""
    values = np.asarray(values)
    if len(values) >= n:
        return values[:n]
    return np.concatenate([values, np.repeat(values[-1:], n - len(values))]) if len(values) else values


def ground_truth_for(motion, reference, notes):
    """The reference as ground truth for ``motion`` when both are of the same audio, else None.

    Same audio: lengths within SAME_AUDIO_SECONDS (mocap often stops a little before or after
    its recording). L1 and PCK are then measured on the frames both have, and ``notes`` says so
    when the frame counts differ; a reference at another frame rate is resampled first.
    """
    from ..motion.resample import resample

    if reference is None:
        return None
    if reference.fps != motion.fps:
        notes.append(f"reference resampled from {reference.fps:g} to {motion.fps:g} fps for L1/PCK")
        reference = resample(reference, motion.fps)
    gap = abs(reference.duration - motion.duration)
    if gap > SAME_AUDIO_SECONDS:
        notes.append(f"L1/PCK skipped: {motion.n_frames} frames against {reference.n_frames} reference "
                     f"frames, {gap:.1f} s apart (not the same audio)")
        return None
    if abs(reference.n_frames - motion.n_frames) > FRAME_TOLERANCE:
        n = min(reference.n_frames, motion.n_frames)
        notes.append(f"L1/PCK on the {n} frames both have ({motion.n_frames} generated, "
                     f"{reference.n_frames} reference frames)")
    return reference


def score_reference(reference, audio=None, name="reference"):
    """The real take scored on its own: the row every generator is compared with.

    audio : AudioContext of the take's own recording (or an onset array, for beat consistency
    only), or None.
    """
    return Scored(name=name, source="real motion", frames=reference.n_frames, fps=reference.fps,
                  metrics=quality_report(reference, **_audio_kwargs(audio, reference.n_frames)),
                  kind="reference")


def _audio_kwargs(audio, n_frames):
    if audio is None:
        return {}
    if isinstance(audio, AudioContext):
        return audio.report_kwargs(n_frames)
    return {"onset_times": np.asarray(audio, dtype=np.float64)}


def static_pose(reference, n_frames):
    """The baseline that regresses to the mean: every frame the reference's mean pose.

    Each joint's rotation is the normalised mean of its quaternions over the take (signs made
    consistent first), the root its mean position. (n_frames frames at the reference's rate.)
    """
    from ..motion import Motion
    from ..motion.rotations import axis_angle_to_quat, quat_continuity, quat_normalize, quat_to_axis_angle

    q = quat_continuity(axis_angle_to_quat(reference.poses.astype(np.float64)), axis=0)
    mean = quat_to_axis_angle(quat_normalize(q.mean(axis=0)))
    return Motion(poses=np.repeat(mean[None], n_frames, axis=0).astype(np.float32),
                  trans=np.repeat(reference.trans.mean(axis=0, keepdims=True), n_frames, axis=0),
                  betas=reference.betas, fps=reference.fps, gender=reference.gender)


def shifted_take(reference, n_frames, seam_seconds=0.5):
    """The baseline of the right speaker on the wrong audio: the real take started from its
    middle, going round to its start (the seam blended over ``seam_seconds``, so it is not
    counted as a jump), repeated or cut to ``n_frames`` frames."""
    from ..motion import Motion
    from .generation.windows import blend_seam

    half = reference.n_frames // 2
    k = max(1, int(round(seam_seconds * reference.fps)))
    loop = Motion.concatenate([reference[half:], blend_seam(reference[half:], reference[:half], k)])
    return loop[np.arange(n_frames) % loop.n_frames]


def score_baselines(reference, n_frames, audio=None, ground_truth=None, mean_of=None, shift_of=None):
    """Rows a generator must beat for its figures to mean anything, as Scored (kind "baseline"):
    a static mean pose, the real take shifted in time (the same speaker on the wrong audio), and
    the real take's second half against its first (see ``other_half``).

    reference : the real take (distribution metrics compare with it). n_frames : length of the
    generated motions. audio : AudioContext of the generated motions' audio. ground_truth : the
    real motion of that audio, when there is one. mean_of, shift_of : the real motion whose mean
    pose is held and the one that is shifted (default ``reference``; e.g. the training data's
    mean, and the ground truth itself shifted away from its audio).
    """
    rows = []
    for name, source, motion in (
        ("static pose", "a real mean pose held still", static_pose(mean_of or reference, n_frames)),
        ("real, shifted", "real motion of the speaker started from its middle: the wrong audio",
         shifted_take(shift_of or reference, n_frames)),
    ):
        notes = []
        truth = ground_truth_for(motion, ground_truth, notes) if ground_truth is not None else None
        metrics = quality_report(motion, reference=reference, ground_truth=truth,
                                 **_audio_kwargs(audio, n_frames))
        row = Scored(name=name, source=source, frames=n_frames, fps=motion.fps, metrics=metrics,
                     notes=notes, kind="baseline")
        if name == "real, shifted":  # the real take's own windows: no test, the note says why
            row.notes.append(MOTION_ONLY)
        else:
            add_realism(row, [motion], reference)
        rows.append(row)
    halves = other_half(reference)
    if halves is not None:
        rows.append(halves)
    return rows


def other_half(reference, min_seconds=4.0):
    """The baseline of the speaker against himself: the real take's second half scored against
    its first (how far one stretch of a real person's posture, legs and travel are from another
    stretch of the same person), as Scored; None for a take shorter than 2 x ``min_seconds``."""
    half = reference.n_frames // 2
    if half < min_seconds * reference.fps:
        return None
    second = reference[half:]
    scored = Scored(name="real, other half", source="the real take's second half against its first",
                    frames=second.n_frames, fps=reference.fps,
                    metrics=quality_report(second, reference=reference[:half]), kind="baseline")
    return add_realism(scored, [second], reference[:half])


def score_motion(motion, name, source, reference=None, audio=None, samples=None):
    """One motion's metrics; ground-truth metrics only when ``reference`` is of the same audio.

    audio : AudioContext (or onset times) of the motion's audio, or None.
    """
    notes = []
    truth = ground_truth_for(motion, reference, notes)
    metrics = quality_report(motion, reference=reference, ground_truth=truth, samples=samples,
                             **_audio_kwargs(audio, motion.n_frames))
    return add_realism(Scored(name=name, source=source, frames=motion.n_frames, fps=motion.fps,
                              metrics=metrics, notes=notes), [motion], reference)


def add_realism(column, motions, reference):
    """``column`` with the realism test of ``motions`` (its takes, pooled) against the real
    ``reference``: the AUCs (whole body and per part) among its metrics, the features that give
    it away most among its notes. A note says why when it cannot run (no scikit-learn: the
    `eval` extra; takes shorter than two 8 s blocks). Nothing without a reference."""
    from ..motion.errors import MotionValueError
    from ..motion.metrics.realism import c2st

    if reference is None:
        return column
    try:  # a take of the reference's length is paired with it: an edited copy meets no twin
        result = c2st(reference, list(motions), top=GIVEAWAYS)
    except ImportError as exc:
        column.notes.append(f"realism: skipped, {exc.name or exc} is not installed (pip install 'talkrig[eval]')")
        return column
    except MotionValueError as exc:
        column.notes.append(f"realism: skipped, {exc}")
        return column
    column.metrics.update(result.metrics())
    column.notes += [f"realism: given away by {g}" for g in result.giveaways]
    return column


MIN_FRAMES = 3  # speed and acceleration need three frames


def scorable(motion, source):
    """``motion``, or TalkrigError when it is too short for the metrics to mean anything."""
    if motion.n_frames < MIN_FRAMES:
        raise TalkrigError(f"{source}: {motion.n_frames} frame(s); scoring needs at least "
                           f"{MIN_FRAMES} (speed and acceleration)")
    return motion


def load_scorable(path):
    from ..motion import load_motion

    return scorable(load_motion(path), path)


def score_files(paths, reference=None, audio=None):
    """Score each motion file; returns a list of Scored (names are the file names)."""
    return [score_motion(load_scorable(p), Path(p).name, str(p), reference, audio) for p in paths]


def score_backend(backend, audio, samples=1, seed=0, reference=None, backend_options=None,
                  speech="none", transcript=None, keyposes="default", progress=None,
                  ground_truth=None, other_audio=None, sensitivity=True):
    """Generate ``samples`` motions of ``audio`` with ``backend`` (seeds seed, seed+1, ...) and
    score them: per-sample metrics are averaged, multimodality and seed diversity are measured
    across the samples.

    audio, other_audio : a path, bytes or DecodedAudio. reference : the real take the
    distribution metrics compare with; ground_truth : the real motion of ``audio`` (default:
    ``reference`` when it is of the same audio). sensitivity : also generate, with the first
    seed, for silence of the same length and for ``other_audio`` (if given), for the audio
    sensitivity figures. progress(i) is called after each generated motion.
    Returns (Scored, [Motion, ...]).
    """
    import time

    from ..motion.metrics import audio_sensitivity
    from .audio.decode import DecodedAudio, decode_audio
    from .generation.pipeline import GenerateOptions, generate

    decoded = audio if isinstance(audio, DecodedAudio) else decode_audio(audio)

    def options(i):
        return GenerateOptions(backend=backend, seed=int(seed) + i, speech=speech,
                               transcript=transcript, keyposes=keyposes,
                               backend_options=dict(backend_options or {}))

    motions, seconds, words = [], [], None
    for i in range(int(samples)):
        start = time.perf_counter()
        result = generate(decoded, options(i))
        seconds.append(time.perf_counter() - start)
        motions.append(result.motion)
        words = result.words
        if progress:
            progress(i + 1)
    fps = motions[0].fps
    context = audio_context(decoded, fps, words)
    notes = []
    truth = ground_truth_for(motions[0], ground_truth if ground_truth is not None else reference, notes)
    reports = [quality_report(m, reference=reference, ground_truth=truth, **context.report_kwargs(m.n_frames))
               for m in motions]
    metrics = mean_reports(reports)
    if len(motions) > 1:
        across = quality_report(motions[0], samples=motions[1:])
        metrics["multimodality"] = across.get("multimodality", float("nan"))
        metrics["seed_diversity"] = across.get("seed_diversity", float("nan"))
        metrics["stance_spread"] = across.get("stance_spread", float("nan"))
        notes.append(f"mean of {len(motions)} samples (seeds {seed}..{int(seed) + len(motions) - 1})")
    if sensitivity:
        # same seed, no words: only the sound differs
        quiet = DecodedAudio(samples=np.zeros_like(decoded.samples), sample_rate=decoded.sample_rate,
                             name="silence")
        silence = generate(quiet, replace(options(0), speech="none", transcript=None)).motion
        other = None
        if other_audio is not None:
            other = generate(other_audio, replace(options(0), speech="none", transcript=None)).motion
        metrics.update(audio_sensitivity(motions[0], silence, other))
    source = f"backend {backend}" + "".join(f" {k}={v}" for k, v in (backend_options or {}).items())
    scored = Scored(name=backend, source=source, frames=motions[0].n_frames, fps=fps,
                    metrics=metrics, notes=notes, seconds=float(np.median(seconds)))
    return add_realism(scored, motions, reference), motions


def judge(columns):
    """Add a note to each generated column for every figure that does not beat its baseline
    row (see ``MetricInfo.baseline``): a lower joint error than a static pose's, a higher beat
    consistency than the real take on the wrong audio, and so on. Returns the notes added."""
    baselines = {"static": "static pose", "shifted": "real, shifted"}
    by_name = {c.name: c for c in columns if c.kind == "baseline"}
    added = []
    for column in columns:
        if column.kind != "generated":
            continue
        for key, info in METRICS.items():
            base = by_name.get(baselines.get(info.baseline, ""))
            if base is None or key not in column.metrics or key not in base.metrics:
                continue
            mine, theirs = column.metrics[key], base.metrics[key]
            if not (np.isfinite(mine) and np.isfinite(theirs)):
                continue
            beaten = mine < theirs if info.better == "lower" else mine > theirs
            if not beaten:
                note = (f"{info.label} {_cell(mine)} does not beat the {base.name} baseline "
                        f"({_cell(theirs)})")
                column.notes.append(note)
                added.append(f"{column.name}: {note}")
        ratio = column.metrics.get("pause_speed_ratio")
        if ratio is not None and np.isfinite(ratio) and ratio >= 1.0:
            note = f"moves as fast or faster in pauses than in speech ({_cell(ratio)})"
            column.notes.append(note)
            added.append(f"{column.name}: {note}")
    return added


def _cell(value):
    if value is None or not np.isfinite(value):
        return "-"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 0.01:
        return f"{value:.4g}"
    return f"{value:.2e}"


def format_table(columns):
    """A plain-text table: one row per metric, one column per scored motion."""
    keys = [k for k in TABLE_METRICS if any(k in c.metrics for c in columns)]
    header = ["metric", "unit", "better"] + [c.name for c in columns]
    rows = [header]
    for key in keys:
        info = TABLE_METRICS[key]
        better = "~real" if info.better == "reference" else info.better
        rows.append([info.label, info.unit, better] + [_cell(c.metrics.get(key)) for c in columns])
    rows.append(["frames", "", ""] + [str(c.frames) for c in columns])
    if any(c.seconds is not None for c in columns):
        rows.append(["generation time / sample", "s", "lower"] + [_cell(c.seconds) for c in columns])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].ljust(widths[2])]
        cells += [cell.rjust(w) for cell, w in zip(row[3:], widths[3:])]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    for c in columns:
        for note in c.notes:
            lines.append(f"note: {c.name}: {note}")
    return "\n".join(lines)


def to_json(columns, audio=None, reference=None):
    """A JSON-ready dict of an evaluation."""
    return {
        "audio": None if audio is None else str(audio),
        "reference": None if reference is None else str(reference),
        "metrics": {k: {"label": m.label, "unit": m.unit, "better": m.better} for k, m in TABLE_METRICS.items()},
        "columns": [c.to_dict() for c in columns],
    }
