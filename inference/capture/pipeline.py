"""Capture a video of a speaker into takes: SMPL-X motion (BEAT2 npz) + speech (16 kHz wav).

    result = capture_video("me_talking.mp4", "takes/", progress=print)
    result.takes          # [Path("takes/me_talking.npz"), ...]
    result.skipped        # shots left out, each with its reason

One pass over the video: every frame (at the take's frame rate) is checked for a camera cut
and for the framing's motion (a zoom or a pan splits a shot into steady and moving stretches,
see :mod:`.shots`) and given to the landmark detector, which starts over at each cut. Then,
shot by shot: the speaker's detections are kept (another person's are forgotten, see
:mod:`.track`), shots without a usable view of the speaker are skipped with the reason, and
the rest are fitted (:mod:`.fit`) and written as takes, each with its part of the sound track
and the camera that filmed it (``NAME.camera.json``, :mod:`.camera_fit`). A summary
``NAME.capture.json`` is written last: a video with a summary is done and is skipped when the
capture is run again (resume), unless ``overwrite``.
"""

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...motion.lens import check_lens, focal_pixels
from ...motion.npz import write_npz
from ..audio.decode import SAMPLE_RATE
from ..progress import JobCancelled
from . import shots as shot_cuts
from . import track
from .errors import CaptureError
from .fit import fit_shot_and_camera
from .landmarks import LANDMARK_DETECTOR, LEFT_ELBOW, LEFT_SHOULDER, RIGHT_ELBOW, RIGHT_SHOULDER, Landmarks
from .span import check_span
from .video import iter_frames, prefetched, probe, read_audio

log = logging.getLogger(__name__)

MIN_SECONDS = 2.0  # a take shorter than this teaches a generator nothing
MIN_SEEN = 0.6  # share of a shot's frames where the speaker must be seen
MIN_ARMS = 0.5  # share of a shot's frames where both shoulders and elbows must be visible
MIN_TORSO_PIXELS = 24  # torso size below which the speaker is too small to fit
SUMMARY_SUFFIX = ".capture.json"
CAMERA_SUFFIX = ".camera.json"
LANDMARK_SHARE = 0.9  # of the progress bar: reading frames and finding landmarks


@dataclass
class ShotReport:
    """What became of one shot: a take (its file stem), or skipped with a reason."""

    number: int
    start: float
    end: float
    take: str = ""
    reason: str = ""
    posture: str = ""
    coverage: dict = field(default_factory=dict)
    camera: object = None  # the shot's fitted motion.camera.Camera (None: too little seen)
    camera_error: float = float("nan")  # its median reprojection error, pixels
    moving: bool = False  # the framing zooms or pans (the fitted camera holds still)

    def to_dict(self):
        out = {"shot": self.number, "start": round(self.start, 3), "end": round(self.end, 3),
               "framing": "moving" if self.moving else "steady"}
        if self.take:
            out.update(take=self.take, posture=self.posture,
                       coverage={k: round(v, 3) for k, v in self.coverage.items()})
            if self.camera is not None:
                out["camera_error_px"] = round(self.camera_error, 2)
                out["focal_px"] = round(self.camera.focal, 1)
        else:
            out["skipped"] = self.reason
        return out


@dataclass
class CaptureResult:
    """The takes written for one video (npz paths; each has a .wav beside it)."""

    video: Path
    summary: Path
    takes: list
    shots: list
    resumed: bool = False
    frames: int = 0
    fits: dict = field(default_factory=dict)  # {shot number: (ShotFit, first frame, times)}

    @property
    def skipped(self):
        return [s for s in self.shots if not s.take]

    @property
    def longest_steady(self):
        """The longest shot that became a take and whose framing holds still (a ShotReport),
        or None."""
        return shot_cuts.longest_steady([s for s in self.shots if s.take])


def default_detector(name="mediapipe"):
    """A new landmark detector from the ``talkrig.landmarks`` plugins."""
    return LANDMARK_DETECTOR.require(name)()


def detector_name(detector):
    """The registry name a detector goes by ("" for one of the caller's own)."""
    return str(getattr(detector, "name", "") or "")


def detect_video(video, fps=30.0, detector=None):
    """The landmarks of every picture of ``video`` at ``fps`` (one shot, no cuts looked for)
    and the detector's pictures per second: for measuring and training on videos with a
    known truth."""
    detector = detector or default_detector()
    start = time.perf_counter()
    found, times = [], []
    try:
        for _, at, rgb in iter_frames(video, fps):
            found.append(detector.detect(rgb))
            times.append(at)
    finally:
        detector.close()
    seconds = max(time.perf_counter() - start, 1e-9)
    info = probe(video)
    return (Landmarks.stack(found, (info.width, info.height), fps, times, detector_name(detector)),
            len(found) / seconds)


def summary_path(video, out_dir, name=None):
    return Path(out_dir) / f"{name or Path(video).stem}{SUMMARY_SUFFIX}"


def capture_video(video, out_dir, fps=30.0, start=0.0, end=None, detector=None, progress=None,
                  name=None, overwrite=False, cancelled=None, max_seconds=None, lens=None):
    """Capture ``video`` into takes in ``out_dir``; returns a :class:`CaptureResult`.

    fps : frame rate of the takes. start, end : seconds of the video to use (None: to the end).
    detector : a landmark detector (default: the ``mediapipe`` plugin).
    progress(stage, fraction) : called as frames are read ("landmarks") and shots fitted
        ("fitting"); fraction is of the whole capture and never goes back.
    name : stem of the written files (default: the video's file name).
    cancelled() : polled between frames; True stops the capture (nothing is written).
    max_seconds : the longest span captured (None: any); checked before anything is decoded.
    lens : the camera's focal length in mm, 35 mm equivalent (``motion.lens``; None: read from
        each shot).
    Raises TalkrigError for a lens out of range, CaptureError for a video that is unreadable,
    silent, too short or shows nobody.
    """
    video, out_dir = Path(video), Path(out_dir)
    check_span(float(fps), float(start or 0.0), None if end is None else float(end))
    lens = check_lens(lens)
    name = name or video.stem
    summary = summary_path(video, out_dir, name)
    if not overwrite and summary.is_file():
        done = _resume(video, summary, out_dir)
        if done is not None:
            return done
    info = probe(video)
    end = info.duration if end is None else min(float(end), info.duration)
    start = max(0.0, float(start or 0.0))
    if start > 0 and start >= info.duration:
        raise CaptureError(video, f"the start, {start:g} s, is past the video's end "
                                  f"({info.duration:.1f} s long)")
    if end - start < MIN_SECONDS:
        raise CaptureError(video, f"too short: {max(0.0, end - start):.1f} s of video to "
                                  f"capture, at least {MIN_SECONDS:g} s are needed")
    if max_seconds is not None and end - start > max_seconds:
        raise CaptureError(video, f"{end - start:.0f} s of video to capture, at most {max_seconds:g} s "
                                  "are taken at once: capture it in parts (start and end)")
    sound = read_audio(video, start, end)  # fails early for a silent video
    own_detector = detector is None
    detector = detector or default_detector()
    try:
        lm, colours, changes, motions = _watch(video, info, fps, start, end, detector, progress,
                                               cancelled)
    finally:
        if own_detector:
            detector.close()
    shots = shot_cuts.find_shots(changes, motions, fps)
    if not np.any(lm.body_seen):
        raise CaptureError(video, "no person found: the landmark detector saw nobody in "
                                  f"{lm.n_frames} frames")
    focal = None if lens is None else focal_pixels(lens, lm.size)
    reports, fitted = _judge_shots(lm, colours, shots, fps, start, progress, focal)
    fits = {report.number: (fit, shot.start, lm.times[shot.start:shot.end])
            for report, fit, shot in fitted}
    if not fitted:
        reasons = "; ".join(f"shot {r.number}: {r.reason}" for r in reports)
        raise CaptureError(video, f"no usable view of the speaker ({reasons})")
    out_dir.mkdir(parents=True, exist_ok=True)
    single = len(shots) == 1
    takes = []
    for report, fit, _ in fitted:
        motion = fit.motion
        stem = name if single else f"{name}_shot{report.number:02d}"
        report.take = stem
        lo = int(round((report.start - start) * SAMPLE_RATE))
        hi = lo + int(round(motion.n_frames / fps * SAMPLE_RATE))
        _write_take(out_dir, stem, motion, sound[lo:hi], report.camera)
        takes.append(out_dir / f"{stem}.npz")
    _write_summary(summary, video, fps, start, end, reports, lens)
    log.info("%s: %d take(s), %d shot(s) skipped", video.name, len(takes),
             len(reports) - len(takes))
    return CaptureResult(video=video, summary=summary, takes=takes, shots=reports,
                         frames=lm.n_frames, fits=fits)


def _pictures(video, fps, start, end):
    """(index, time, rgb, thumbnail, histogram) per frame, the shot analysis of each new picture
    done here, on the decoding thread, beside the landmark detector (None, None for a picture
    repeated at the take's rate: it needs no new work)."""
    shown = None
    for index, at, rgb in iter_frames(video, fps, start, end):
        if rgb is shown:
            yield index, at, rgb, None, None
            continue
        shown = rgb
        yield index, at, rgb, shot_cuts.thumbnail(rgb), shot_cuts.colour_histogram(rgb)


def _watch(video, info, fps, start, end, detector, progress, cancelled):
    """Read every frame once: landmarks, torso colours, histogram changes and framing motion."""
    total = max(1, int(np.floor((end - start) * fps + 1e-6)))
    frames, colours, hists, times, motions, fresh = [], [], [], [], [], []
    previous = thumb = None
    for index, at, rgb, new_thumb, hist in prefetched(_pictures(video, fps, start, end)):
        if cancelled is not None and cancelled():
            raise JobCancelled("cancelled")
        if hist is None:  # the same picture again: the same landmarks, no new work
            frames.append(frames[-1])
            colours.append(colours[-1])
            hists.append(hists[-1])
            times.append(at)
            motions.append(np.zeros(3))
            fresh.append(False)
            continue
        before, thumb = thumb, new_thumb
        motions.append(np.zeros(3) if before is None or before.shape != thumb.shape
                       else shot_cuts.framing_motion(before, thumb))
        fresh.append(True)
        if previous is not None:
            change = 0.5 * np.abs(hist - previous).sum()
            if change >= shot_cuts.CUT_DIFFERENCE:  # maybe a cut: track afresh
                detector.reset()
        previous = hist
        found = detector.detect(rgb)
        frames.append(found)
        colours.append(track.torso_colour(rgb, found.body_image) if found is not None
                       else np.full(3, np.nan))
        hists.append(hist)
        times.append(at)
        if progress is not None and index % 10 == 0:
            progress("landmarks", LANDMARK_SHARE * min(1.0, (index + 1) / total))
    if not frames:
        raise CaptureError(video, f"no frames between {start:.1f} s and {end:.1f} s")
    lm = Landmarks.stack(frames, (info.width, info.height), fps, times, detector_name(detector))
    return (lm, np.array(colours), shot_cuts.histogram_changes(hists),
            shot_cuts.spread_over_repeats(motions, fresh))


def _judge_shots(lm, colours, shots, fps, start, progress, focal=None):
    """Keep the speaker in each shot, skip unusable shots, fit the others (``focal``: the
    lens's focal length in pixels when known)."""
    per_shot = []
    for shot in shots:
        sub = lm.select(slice(shot.start, shot.end))
        per_shot.append((shot, sub, track.tracklets(sub, colours[shot.start:shot.end], fps)))
    speaker = track.speaker_colour([tr for _, _, trs in per_shot for tr in trs])
    reports, fitted = [], []
    for k, (shot, sub, trs) in enumerate(per_shot):
        report = ShotReport(number=shot.number, start=start + shot.start / fps,
                            end=start + shot.end / fps, moving=shot.moving)
        reports.append(report)
        keep = np.zeros(sub.n_frames, bool)
        for tr in trs:
            if track.is_speaker(tr, speaker):
                keep[tr.frames] = True
        others = sub.body_seen & ~keep
        sub.forget(others)
        report.reason = _unusable(sub, shot, fps, others)
        if progress is not None:
            progress("fitting", LANDMARK_SHARE + (1 - LANDMARK_SHARE) * (k + 1) / len(per_shot))
        if report.reason:
            log.info("shot %d (%.1f-%.1f s) skipped: %s", shot.number, report.start,
                     report.end, report.reason)
            continue
        result, report.camera, report.camera_error = fit_shot_and_camera(sub, fps, focal=focal)
        report.posture, report.coverage = result.posture, result.coverage
        fitted.append((report, result, shot))
    return reports, fitted


def _unusable(sub, shot, fps, others):
    """Why a shot cannot be a take ("" when it can)."""
    seconds = shot.n_frames / fps
    if seconds < MIN_SECONDS:
        return f"too short ({seconds:.1f} s, at least {MIN_SECONDS:g} s)"
    seen = sub.body_seen
    if np.mean(others) > 0.5:
        return "shows another person, not the speaker"
    if np.mean(seen) < MIN_SEEN:
        return f"the speaker is in view in only {100 * np.mean(seen):.0f}% of the frames"
    vis = sub.visibility[:, [LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_ELBOW, RIGHT_ELBOW]]
    arms = np.mean(vis.min(axis=1) > 0.5)
    if arms < MIN_ARMS:
        return (f"the arms are out of view in {100 * (1 - arms):.0f}% of the frames "
                "(a close-up)")
    _, size = track.body_box(sub)
    if np.nanmedian(size) < MIN_TORSO_PIXELS:
        return f"the speaker is too small ({np.nanmedian(size):.0f} px torso)"
    return ""


def _write_take(out_dir, stem, motion, samples, camera=None):
    import soundfile as sf

    if camera is not None:
        tmp = out_dir / f".{stem}.partial.camera.json"
        camera.save(tmp)
        os.replace(tmp, out_dir / f"{stem}{CAMERA_SUFFIX}")
    npz = out_dir / f"{stem}.npz"
    wav = out_dir / f"{stem}.wav"
    tmp = out_dir / f".{stem}.partial.wav"
    sf.write(str(tmp), np.asarray(samples, dtype=np.float32), SAMPLE_RATE, subtype="PCM_16",
             format="WAV")
    os.replace(tmp, wav)
    tmp = out_dir / f".{stem}.partial.npz"
    write_npz(motion, tmp)
    os.replace(tmp, npz)


def _write_summary(path, video, fps, start, end, reports, lens=None):
    data = {"video": str(video), "fps": fps, "start": round(start, 3), "end": round(end, 3),
            "lens_mm": lens, "shots": [r.to_dict() for r in reports]}
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def _resume(video, summary, out_dir):
    """The result recorded in ``summary`` when all its takes are still there, else None."""
    try:
        data = json.loads(summary.read_text())
        shots = data["shots"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    takes = [out_dir / f"{s['take']}.npz" for s in shots if s.get("take")]
    if not all(p.is_file() and p.with_suffix(".wav").is_file() for p in takes):
        return None
    reports = [ShotReport(number=s["shot"], start=s["start"], end=s["end"], take=s.get("take", ""),
                          reason=s.get("skipped", ""), posture=s.get("posture", ""),
                          coverage=s.get("coverage", {}),
                          moving=s.get("framing") == "moving") for s in shots]
    log.info("%s: already captured (%s); skipping", video.name, summary.name)
    return CaptureResult(video=video, summary=summary, takes=takes, shots=reports, resumed=True)
