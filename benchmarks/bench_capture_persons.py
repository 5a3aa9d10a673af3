"""Capture against a known truth on the person videos (benchmarks/person_videos.py): elbow
flexion, shoulder elevation and the shoulder girdle's lift per side (median error; the
shoulder's correlation with the truth per side), the head's pitch and yaw against the chest,
the chest's turn against the hips, the hand against the forearm and the fingers, the knees'
angle and where they face, the ankles' spread and the feet's pitch against the floor, per
video, beside baselines that could fake them. ``--videos /work/scratch/held`` with ``person_videos.py
--held-out --work /work/scratch/held``: the three people kept out of every choice;
``--held-out-wide`` (a 60-degree lens) and ``--held-out-portrait`` (upright, 720x1280,
``--match _1280p_``) film them through a phone's lens.

    .venv/bin/python benchmarks/bench_capture_persons.py [--videos DIR] [--match 720p]
        [--work DIR] [--speed] [--where] [--lens-given] [--json OUT]

Every video NAME.mp4 in --videos whose name contains --match has its truth take NAME.npz
beside it. Its landmarks are detected once and kept in --work (NAME.landmarks.npz), so a
change to the fit is measured again in seconds; the fit is the capture's own
(``fit_shot_and_camera``, what ``capture_video`` runs on a steady single shot). Baselines: the
take's mean pose held still, and the take 10 s later (real motion, the wrong moment). --speed
also runs the whole capture (``capture_video``: decode, landmarks, shots, fit, writing) on the
first video and reports frames per second. --where breaks each elbow's signed error down by the true forearm's
share along the view, the true flexion and whether the hand model found the hand (the truth
projected with the written camera, NAME.camera.json).
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SHIFT_SECONDS = 10.0
SIDES = ("left", "right")


def landmarks(video, work):
    """The video's landmarks (cached in ``work``) and the detector's frames per second (None
    when cached)."""
    from talkrig.inference.capture.landmarks import Landmarks
    from talkrig.inference.capture.pipeline import detect_video

    cache = work / f"{video.stem}.landmarks.npz"
    if cache.exists():
        with np.load(cache) as data:
            lm = Landmarks.from_arrays(data)
        lm.detector = lm.detector or "mediapipe"  # caches from before the name was kept
        return lm, None
    lm, fps = detect_video(video, 30.0)
    np.savez_compressed(cache, **lm.to_arrays())
    return lm, fps


def figures(captured, truth):
    from talkrig.motion.metrics.capture import compare_capture

    shift = int(SHIFT_SECONDS * truth.fps)
    later = truth.copy()
    later.poses[:] = np.roll(truth.poses, -shift, axis=0)
    still = truth.copy()
    still.poses[:] = truth.poses.mean(axis=0)
    return {"captured": compare_capture(captured, truth),
            "mean pose held still": compare_capture(still, truth),
            f"the take {SHIFT_SECONDS:g} s later": compare_capture(later, truth)}


def where(lm, captured, truth, camera):
    """Rows of the signed elbow error (median degrees, frames) per side, by the true forearm's
    share along the view, the true flexion and whether the hand was found."""
    from talkrig.motion.metrics.capture import arm_angles
    from talkrig.motion.skeleton import JOINT_INDEX as J, neutral_skeleton

    pos = neutral_skeleton().forward_kinematics(truth.poses, truth.trans)[1]
    camera_from_take = np.linalg.inv(camera.world_from_camera) @ camera.world_from_motion
    in_camera = pos @ camera_from_take[:3, :3].T
    got, true = arm_angles(captured)[0], arm_angles(truth)[0]
    n = min(len(pos), lm.n_frames, captured.n_frames)
    rows = []
    for k, side in enumerate(SIDES):
        err, flex = (got[side] - true[side])[:n], true[side][:n]
        forearm = in_camera[:n, J[f"{side}_wrist"]] - in_camera[:n, J[f"{side}_elbow"]]
        along = np.abs(forearm[:, 2]) / np.linalg.norm(forearm, axis=-1)
        hand = lm.hand_seen[:n, k]
        groups = [along < 0.6, (along >= 0.6) & (along < 0.8), along >= 0.8, flex < 30,
                  (flex >= 30) & (flex < 60), (flex >= 60) & (flex < 90), flex >= 90, hand, ~hand]
        rows.append((side, [f"{np.median(err[g]):+.0f} ({g.sum()})" if g.sum() >= 10 else "-"
                            for g in groups]))
    return rows


WHERE_COLUMNS = ("along view < 0.6", "0.6-0.8", ">= 0.8", "flexion < 30°", "30-60°", "60-90°",
                 ">= 90°", "hand seen", "hand not seen")


def stated_focal(video, size):
    """The focal length in pixels a user gets by stating the lens that filmed ``video`` (its
    NAME.camera.json) as a 35 mm equivalent to the whole millimetre."""
    from talkrig.motion.camera import Camera
    from talkrig.motion.lens import focal_pixels, lens_mm

    return focal_pixels(round(lens_mm(Camera.load(video.with_suffix(".camera.json")).focal, size)), size)


def speed(video, work):
    from talkrig.inference.capture.pipeline import capture_video

    t = time.perf_counter()
    result = capture_video(video, work / "takes", overwrite=True)
    seconds = time.perf_counter() - t
    return {"video": video.name, "frames": result.frames, "seconds": round(seconds, 1),
            "fps": round(result.frames / seconds, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=Path, default=Path("/work/scratch/persons/videos"))
    parser.add_argument("--match", default="_720p_")
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "talkrig-bench-capture-persons")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--where", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--lens-given", action="store_true",
                        help="fit each video with its lens stated, as a user who knows it would "
                             "(`capture --lens`: the written camera's focal length as a 35 mm "
                             "equivalent, to the whole millimetre), instead of reading it from "
                             "the shot")
    parser.add_argument("--lifter", help="the arm lifter's weights (.npz), or 'none' to fit "
                                         "without it (default: the one talkrig ships)")
    args = parser.parse_args()

    from talkrig.inference.capture.fit import fit_shot_and_camera
    from talkrig.inference.capture.lift import ArmLifter
    from talkrig.motion import load_motion

    lifter = (None if args.lifter is None else False if args.lifter == "none"
              else ArmLifter.load(args.lifter))
    def fit_shot(lm, video):
        focal = stated_focal(video, lm.size) if args.lens_given else None
        return fit_shot_and_camera(lm, lifter=lifter, focal=focal)[0]

    videos = sorted(v for v in args.videos.glob("*.mp4") if args.match in v.name
                    and v.with_suffix(".npz").exists())
    if not videos:
        print(f"{args.videos}: no video with {args.match!r} in its name and a truth take",
              file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    out = {"videos": {}}
    keys = [f"{a}_{s}_deg" for a in ("elbow", "shoulder", "girdle") for s in SIDES]
    keys += ["head_pitch_deg", "head_yaw_deg", "trunk_twist_deg", "wrist_deg", "fingers_deg",
             "foot_pitch_deg", "knee_deg", "knee_aim_deg", "ankle_spread_cm"]
    corrs = ["elbow_correlation"] + [f"shoulder_{s}_correlation" for s in SIDES]
    print("| video | motion | " + " | ".join(k.replace("_deg", " °").replace("_", " ") for k in keys)
          + " | elbow corr | shoulder corr left | right | wrist order |")
    print("|---" * (len(keys) + len(corrs) + 3) + "|")
    captured_all = {k: [] for k in keys + corrs}
    for video in videos:
        lm, detector_fps = landmarks(video, args.work)
        truth = load_motion(video.with_suffix(".npz"))
        t = time.perf_counter()
        fit = fit_shot(lm, video)
        fit_ms = 1000 * (time.perf_counter() - t) / lm.n_frames
        rows = figures(fit.motion, truth)
        for name, fig in rows.items():
            print(f"| {video.stem} | {name} | " + " | ".join(f"{fig[k]:.1f}" for k in keys)
                  + " | " + " | ".join(f"{fig[k]:.2f}" for k in corrs) + f" | {fig['wrist_order']:.2f} |")
        for k in keys + corrs:
            captured_all[k].append(rows["captured"][k])
        out["videos"][video.stem] = {"rows": rows, "detector_fps": detector_fps,
                                     "fit_ms_per_frame": fit_ms}
    print("| **all videos, median of the medians** | captured | "
          + " | ".join(f"{np.median(captured_all[k]):.1f}" for k in keys)
          + " | " + " | ".join(f"{np.median(captured_all[k]):.2f}" for k in corrs) + " | |")
    print("| **worst video** | captured | "
          + " | ".join(f"{np.max(captured_all[k]):.1f}" for k in keys)
          + " | " + " | ".join(f"{np.min(captured_all[k]):.2f}" for k in corrs) + " | |")
    if args.where:
        from talkrig.motion.camera import Camera

        print("\n| video | side | " + " | ".join(WHERE_COLUMNS) + " |")
        print("|---" * (len(WHERE_COLUMNS) + 2) + "|")
        for video in videos:
            lm, _ = landmarks(video, args.work)
            truth = load_motion(video.with_suffix(".npz"))
            camera = Camera.load(video.with_suffix(".camera.json"))
            for side, cells in where(lm, fit_shot(lm, video).motion, truth, camera):
                print(f"| {video.stem} | {side} | " + " | ".join(cells) + " |")
    if args.speed:
        out["speed"] = speed(videos[0], args.work)
        print(f"whole capture of {out['speed']['video']}: {out['speed']['frames']} frames in "
              f"{out['speed']['seconds']} s = {out['speed']['fps']} frames/s")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
