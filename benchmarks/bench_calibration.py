"""The procedural generator's numbers against the real take they were calibrated on, joint by joint:
angular speed, angular acceleration and positional jerk of the upper body, and per hand the
gesture rate (strokes per second), the hold durations between them and the gesture amplitude.

The generator learned numbers from the take (these figures), never its frames. It runs here on
speech it has never heard (2_scott_0_2_2.wav, 62 s) with --seeds seeds. With --variations, also
the speed-histogram Hellinger distance per upper-body joint there, and the upper-body dynamics
(angular speed and jerk against the take, Hellinger) through the whole pipeline on copies of
the recordings made here: the second recording with hiss, rumble or at -40 dB, its first 30 s,
the take's own sound cut into shuffled pieces with hiss, and espeak-ng voices (see
bench_phrasing.py).

    .venv/bin/python benchmarks/bench_calibration.py [--seeds 5] [--audio WAV] [--variations]
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
    from talkrig.motion.runs import true_runs
    from talkrig.motion.metrics import joint_positions

    wrists = joint_positions(motion, [20, 21])
    speed = np.linalg.norm(np.diff(wrists, axis=0), axis=-1) * motion.fps
    out = []
    for k in range(2):
        v = speed[:, k]
        peaks = np.flatnonzero((v[1:-1] > v[:-2]) & (v[1:-1] >= v[2:]) & (v[1:-1] > STROKE_SPEED))
        holds = [b - a for a, b in true_runs(v < HOLD_SPEED) if b - a >= MIN_HOLD * motion.fps]
        reach = np.linalg.norm(wrists[:, k] - wrists[:, k].mean(axis=0), axis=-1)
        out.append((len(peaks) / motion.duration, np.mean(holds) / motion.fps if holds else 0.0,
                    np.percentile(reach, 90)))
    return out


def joint_hellinger(takes, real):
    """(J,) speed-histogram Hellinger distance of each upper-body joint, mean over takes."""
    from talkrig.motion.metrics.distribution import hellinger_distance, speed_histograms

    reference = speed_histograms(real)
    return np.mean([hellinger_distance(speed_histograms(m), reference) for m in takes], axis=0)


def variations(seeds):
    """(name, samples at 16 kHz) of recordings made from the shared ones (see the docstring)."""
    import tempfile

    from bench_phrasing import degrade, espeak_recordings

    from talkrig.inference.audio.decode import decode_audio

    rng = np.random.default_rng(11)
    second = decode_audio(DATA / "2_scott_0_2_2.wav").samples.astype(np.float64)
    out = [(f"2_scott_0_2_2 {kind}", degrade(second, kind, rng)) for kind in ("hiss10", "rumble", "quiet")]
    out.append(("2_scott_0_2_2 first 30 s", second[:30 * 16000]))
    take = decode_audio(DATA / "2_scott_0_1_1.wav").samples.astype(np.float64)
    pieces = np.split(take, np.sort(rng.choice(np.arange(48000, len(take) - 48000), 9, replace=False)))
    rng.shuffle(pieces)
    out.append(("2_scott_0_1_1 shuffled, hiss10", degrade(np.concatenate(pieces), "hiss10", rng)))
    with tempfile.TemporaryDirectory() as tmp:
        out += [(name, samples) for name, samples, _ in espeak_recordings(tmp)]
    return out


def dynamics(samples, real, seeds):
    """Upper-body angular speed and jerk ratios to the real take and the speed Hellinger
    distance, each (mean, max over seeds), of procedural takes of ``samples`` (whole pipeline)."""
    from talkrig.inference.generation.pipeline import GenerateOptions, generate
    from talkrig.motion.metrics import mean_angular_speed, speed_hellinger
    from talkrig.motion.metrics.distribution import DISTRIBUTION_JOINTS, mean_jerk

    rows = []
    for seed in range(seeds):
        m = generate(samples.astype(np.float32), GenerateOptions(seed=seed, speech="none")).motion
        rows.append((mean_angular_speed(m) / mean_angular_speed(real),
                     mean_jerk(m, DISTRIBUTION_JOINTS) / mean_jerk(real, DISTRIBUTION_JOINTS),
                     speed_hellinger(m, real)))
    rows = np.array(rows)
    return rows.mean(axis=0), rows.max(axis=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--audio", default=str(DATA / "2_scott_0_2_2.wav"))
    parser.add_argument("--variations", action="store_true",
                        help="also per-joint Hellinger and the dynamics on degraded and re-voiced copies")
    args = parser.parse_args()

    from talkrig.inference.generation.pipeline import GenerateOptions, generate
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


    if args.variations:
        from talkrig.motion.metrics.distribution import DISTRIBUTION_JOINTS
        from talkrig.motion.skeleton import JOINT_NAMES

        hellinger = joint_hellinger(takes, real)
        print("speed-histogram Hellinger per joint: " + ", ".join(
            f"{JOINT_NAMES[j]} {h:.3f}" for j, h in zip(DISTRIBUTION_JOINTS, hellinger)))
        print(f"\n| recording | length | angular speed / real | jerk / real | speed Hellinger, mean "
              f"(max) of {args.seeds} seeds |")
        print("|---|---|---|---|---|")
        for name, samples in variations(args.seeds):
            mean, worst = dynamics(samples, real, args.seeds)
            print(f"| {name} | {len(samples) / 16000:.0f} s | {mean[0]:.2f} | {mean[1]:.2f} | "
                  f"{mean[2]:.3f} ({worst[2]:.3f}) |")



if __name__ == "__main__":
    main()
