"""Fit the capture's finger offsets (``inference/capture/finger_offsets.py``) on person videos
with a known truth: per finger joint, the rotation between each segment as the hand detector's
points read it and as it was filmed.

    .venv/bin/python recipes/fit_finger_offsets.py --videos DIR [DIR ...] [--work DIR]
        [--match _] [--out inference/capture/finger_offsets.npz]

Every NAME.mp4 with NAME.npz (the take that was filmed) beside it, as
``benchmarks/person_videos.py`` writes them, is fitted as capture fits it, and the offsets it
shipped with taken back out (each is a constant turn of one joint's local rotation, which the
fit's smoothing carries through unchanged); in the frames where the detector found a hand, each
finger joint's local rotation as read is held against the truth's (read = filmed @ offset), the
right hand mirrored onto the left, and the offset is their mean rotation over every video.
The shipped offsets: the arm lifter's own people (``person_videos.py --work
/work/scratch/tune``: ada, ben and cleo; the held-out people never), landmarks in ``--work``.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "recipes"))


def readings(video, work):
    """{joint name: (3, 3) sum over the seen frames of filmed^T @ read}, left-hand terms."""
    from train_arm_lifter import cached_landmarks

    from talkrig.inference.capture import finger_offsets
    from talkrig.inference.capture.fit import fit_shot_and_camera
    from talkrig.motion import load_motion
    from talkrig.motion.rotations import axis_angle_to_matrix
    from talkrig.motion.skeleton import JOINT_INDEX as J

    lm = cached_landmarks(video, work)
    truth = load_motion(video.with_suffix(".npz"))
    fitted = fit_shot_and_camera(lm)[0].motion
    shipped = finger_offsets.offsets()
    n = min(truth.n_frames, fitted.n_frames)
    sums = {}
    for k, side in enumerate(("left", "right")):
        seen = lm.hand_seen[:n, k]
        for name in finger_offsets.JOINTS:
            j = J[f"{side}_{name}"]
            read = axis_angle_to_matrix(fitted.poses[:n, j][seen].astype(np.float64))
            read = read @ shipped.get(f"{side}_{name}", np.eye(3))
            filmed = axis_angle_to_matrix(truth.poses[:n, j][seen].astype(np.float64))
            total = np.einsum("tji,tjk->ik", filmed, read)
            if side == "right":
                total = finger_offsets.MIRROR @ total @ finger_offsets.MIRROR
            sums[name] = sums.get(name, 0.0) + total
    return sums


def mean_rotation(total):
    """The rotation nearest (3, 3) ``total``, a sum of rotations (the chordal mean)."""
    u, _, vt = np.linalg.svd(total)
    return u @ np.diag([1.0, 1.0, np.linalg.det(u @ vt)]) @ vt


def main():
    from talkrig.inference.capture import finger_offsets
    from talkrig.motion.rotations import matrix_to_axis_angle

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=Path, nargs="+", required=True)
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "talkrig-finger-offsets")
    parser.add_argument("--match", default="_")
    parser.add_argument("--out", type=Path, default=finger_offsets.PATH)
    args = parser.parse_args()
    videos = sorted(v for folder in args.videos for v in folder.glob("*.mp4")
                    if args.match in v.name and v.with_suffix(".npz").exists())
    if not videos:
        print("no video with a truth take in " + " ".join(map(str, args.videos)), file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    totals = {}
    for video in videos:
        for name, total in readings(video, args.work).items():
            totals[name] = totals.get(name, 0.0) + total
        print(f"{video.name}: read", flush=True)
    left = {name: matrix_to_axis_angle(mean_rotation(totals[name]))
            for name in finger_offsets.JOINTS}
    finger_offsets.save(args.out, left)
    for name, aa in left.items():
        angle = np.linalg.norm(aa)
        print(f"{name}: {np.degrees(angle):.1f} deg about {np.round(aa / max(angle, 1e-12), 2)}")
    print(f"wrote {args.out} from {len(videos)} videos")
    return 0


if __name__ == "__main__":
    sys.exit(main())
