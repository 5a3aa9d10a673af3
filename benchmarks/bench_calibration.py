"""The procedural generator's numbers against the real take they were calibrated on, joint by joint:
angular speed, angular acceleration and positional jerk of the upper body, and per hand the
gesture rate (strokes per second), the hold durations between them and the gesture amplitude.

The generator learned numbers from the take (these figures), never its frames. It runs here on
speech it has never heard (2_scott_0_2_2.wav, 62 s) with --seeds seeds.

    .venv/bin/python benchmarks/bench_calibration.py [--seeds 5] [--audio WAV]
"""

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "beat2_scott_train"
STROKE_SPEED = 0.5  # m/s: a wrist speed peak above this is a stroke
HOLD_SPEED = 0.15  # m/s: a wrist slower than this holds still
MIN_HOLD = 0.1  # seconds: shorter pauses of the hand are not holds


def joint_figures(motion):
    """{joint name: (angular speed rad/s, angular acceleration rad/s^2, jerk m/s^3)}, means."""
    from talkrig.motion.metrics import angular_speed, jerk, joint_positions
    from talkrig.motion.metrics.distribution import DISTRIBUTION_JOINTS
    from talkrig.motion.skeleton import JOINT_NAMES

    speed = angular_speed(motion, DISTRIBUTION_JOINTS)
    accel = np.abs(np.diff(speed, axis=0)) * motion.fps
    jerks = np.linalg.norm(jerk(joint_positions(motion, DISTRIBUTION_JOINTS), motion.fps), axis=-1)
    return {JOINT_NAMES[j]: (speed[:, k].mean(), accel[:, k].mean(), jerks[:, k].mean())
            for k, j in enumerate(DISTRIBUTION_JOINTS)}


def hand_figures(motion):
    """Per hand (left, right): strokes per second, mean hold (s), wrist reach p90 (m from its
    mean place, root-relative)."""
    from talkrig.inference.activity import segments
    from talkrig.motion.metrics import joint_positions

    wrists = joint_positions(motion, [20, 21])
    speed = np.linalg.norm(np.diff(wrists, axis=0), axis=-1) * motion.fps
    out = []
    for k in range(2):
        v = speed[:, k]
        peaks = np.flatnonzero((v[1:-1] > v[:-2]) & (v[1:-1] >= v[2:]) & (v[1:-1] > STROKE_SPEED))
        holds = [b - a for a, b in segments(v < HOLD_SPEED) if b - a >= MIN_HOLD * motion.fps]
        reach = np.linalg.norm(wrists[:, k] - wrists[:, k].mean(axis=0), axis=-1)
        out.append((len(peaks) / motion.duration, np.mean(holds) / motion.fps if holds else 0.0,
                    np.percentile(reach, 90)))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--audio", default=str(DATA / "2_scott_0_2_2.wav"))
    args = parser.parse_args()

    from talkrig.inference.pipeline import GenerateOptions, generate
    from talkrig.motion import load_motion

    real = load_motion(DATA / "2_scott_0_1_1.npz")
    takes = [generate(args.audio, GenerateOptions(seed=s, speech="none")).motion for s in range(args.seeds)]
    real_joints = joint_figures(real)
    generated = [joint_figures(m) for m in takes]
    print(f"procedural on {Path(args.audio).name}, {args.seeds} seeds, against the real take 2_scott_0_1_1")
    print(f"{'joint':14s} {'ang. speed rad/s':>22s} {'ang. accel rad/s^2':>22s} {'jerk m/s^3':>20s}")
    for name, (speed, accel, jerk) in real_joints.items():
        mine = np.mean([g[name] for g in generated], axis=0)
        print(f"{name:14s} {mine[0]:7.2f} / {speed:5.2f} = {mine[0] / speed:4.2f} "
              f"{mine[1]:7.1f} / {accel:5.1f} = {mine[1] / accel:4.2f} "
              f"{mine[2]:6.0f} / {jerk:4.0f} = {mine[2] / jerk:4.2f}")
    real_hands = hand_figures(real)
    mine = np.mean([hand_figures(m) for m in takes], axis=0)
    for k, side in enumerate(("left", "right")):
        (rate, hold, reach), (g_rate, g_hold, g_reach) = real_hands[k], mine[k]
        print(f"{side} hand: strokes {g_rate:.2f}/s (real {rate:.2f}), mean hold {g_hold:.2f} s "
              f"(real {hold:.2f}), reach p90 {g_reach:.2f} m (real {reach:.2f})")


if __name__ == "__main__":
    main()
