"""Train the capture's arm lifter (``inference/capture/lift.py``) on person videos with a known
truth, and say how it reads arms it never saw.

    .venv/bin/python recipes/train_arm_lifter.py --videos DIR [DIR ...] [--work DIR]
        [--holdout NAME ...] [--out inference/capture/arm_lifter_mediapipe.npz] [--epochs 60]
        [--context -10 -5 0 5 10] [--hidden 256] [--weight-decay 0.001] [--members 3]
        [--init LIFTER] [--lr 0.001]

Every NAME.mp4 in the folders with NAME.npz (the take that was filmed) and NAME.camera.json
beside it, as ``benchmarks/person_videos.py --lifter N [--straighter | --steep | --builds]``
writes them (the shipped lifter: ``--lifter 20``, ``--lifter 40 --straighter``, ``--lifter 6
--steep``, then trained on with ``--init`` over ``--lifter 12 --builds``, ``--lifter 8 --builds
--lens 60``, ``--scanned-choice`` and 22 of the first sets' videos rendered again:
recipes/README.md), is one source
of pairs: the detector's landmarks (detected once, kept in --work) and the true direction of
each upper arm and forearm in the camera's frame. Videos whose names contain a
--holdout word are left out of training and scored: the median error of the elbow's bend
(degrees) read from the detector's own metric arm (forearm deepened, as the fit has it) and
from the lifter's, per side. ``--init`` goes on from a trained lifter (each member from where it
was, its normalisation and context kept) at a tenth of the learning rate by default: new people
added to what it learnt without the first videos at hand.
The capture's own figures on a trained lifter: ``benchmarks/bench_capture_persons.py --lifter``.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIDES = ("left", "right")


def cached_landmarks(video, work):
    from talkrig.inference.capture.landmarks import Landmarks
    from talkrig.inference.capture.pipeline import detect_video

    cache = work / f"{video.stem}.landmarks.npz"
    if not cache.exists():
        lm, fps = detect_video(video)
        np.savez_compressed(cache, **lm.to_arrays())
        print(f"{video.name}: landmarks at {fps:.1f} frames/s", flush=True)
    with np.load(cache) as data:
        lm = Landmarks.from_arrays(data)
    lm.detector = lm.detector or "mediapipe"  # caches from before the name was kept
    return lm


def true_directions(truth, camera):
    """(T, 2, 2, 3): per side the unit upper arm and forearm of the filmed take in the capture
    frame (the camera's axes: x right, y up, z towards the camera)."""
    from talkrig.motion.skeleton import JOINT_INDEX as J, neutral_skeleton

    pos = neutral_skeleton().forward_kinematics(truth.poses, truth.trans)[1]
    camera_from_take = np.linalg.inv(camera.world_from_camera) @ camera.world_from_motion
    pos = pos @ camera_from_take[:3, :3].T
    out = []
    for side in SIDES:
        s, e, w = (pos[:, J[f"{side}_{k}"]] for k in ("shoulder", "elbow", "wrist"))
        out.append(np.stack([e - s, w - e], axis=1))
    out = np.stack(out, axis=1)
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


def pairs(video, work, context=None):
    """What one video teaches, one row per arm and frame the detector saw: features (N, F),
    true directions (N, 2, 3) and the detector's own (deepened, as the fit had them) as left
    arms in the capture frame, and each row's side (0 left, 1 right)."""
    from talkrig.inference.capture import ik, lift
    from talkrig.inference.capture.depth import deepen_forearms
    from talkrig.inference.capture.fit import metres_per_pixel
    from talkrig.inference.capture.mirror import forget_mirrored_arms
    from talkrig.motion import load_motion
    from talkrig.motion.camera import Camera

    lm = cached_landmarks(video, work)
    truth = load_motion(video.with_suffix(".npz"))
    camera = Camera.load(video.with_suffix(".camera.json"))
    lm, _ = forget_mirrored_arms(lm, lm.fps)
    mpp, _ = metres_per_pixel(lm)
    up = ik.shot_up(lm)
    target = true_directions(truth, camera)
    had = deepen_forearms(lm, mpp).body_world * np.array([1.0, -1.0, -1.0])
    n = min(lm.n_frames, len(target))
    xs, ys, hs, sides = [], [], [], []
    for k, side in enumerate(SIDES):
        s = lift.SIDES[side]
        conf = np.minimum(lm.visibility[:n, s["elbow"]], lm.visibility[:n, s["wrist"]])
        use = lm.body_seen[:n] & (np.nan_to_num(conf) >= lift.TRUSTED)
        mirror = np.array([lift.MIRROR[side], 1.0, 1.0])
        detector = np.stack([had[:n, s["elbow"]] - had[:n, s["shoulder"]],
                             had[:n, s["wrist"]] - had[:n, s["elbow"]]], axis=1)
        xs.append(lift.arm_features(lm, side, mpp, up, context or lift.CONTEXT)[:n][use])
        ys.append(target[:n, k][use] * mirror)
        hs.append(lift.unit(detector[use]) * mirror)
        sides.append(np.full(use.sum(), k))
    return tuple(np.concatenate(v) for v in (xs, ys, hs, sides))


def bend(d):
    """Elbow bend (degrees) of (..., 2, 3) upper arm / forearm directions."""
    u, f = d[..., 0, :], d[..., 1, :]
    cos = np.sum(u * f, axis=-1) / np.maximum(
        np.linalg.norm(u, axis=-1) * np.linalg.norm(f, axis=-1), 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def train(x, y, epochs, seed=0, hidden=256, weight_decay=1e-3, log=print, start=None, lr=1e-3):
    """The network's weights (numpy), trained on features x (N, F) and directions y (N, 2, 3).
    start : one member's weights to go on from (its normalisation kept), or None."""
    import torch

    torch.manual_seed(seed)
    mean = x.mean(axis=0) if start is None else start["mean"]
    scale = x.std(axis=0) + 1e-3 if start is None else start["scale"]
    xt = torch.tensor((x - mean) / scale, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(),
                              torch.nn.Dropout(0.1), torch.nn.Linear(hidden, hidden),
                              torch.nn.ReLU(), torch.nn.Linear(hidden, 6))
    if start is not None:
        with torch.no_grad():
            for k, layer in enumerate(m for m in net if isinstance(m, torch.nn.Linear)):
                layer.weight.copy_(torch.tensor(start[f"w{k}"].T))
                layer.bias.copy_(torch.tensor(start[f"b{k}"]))
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    n = len(xt)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(n)
        total = 0.0
        for start in range(0, n, 256):
            idx = order[start:start + 256]
            d = torch.nn.functional.normalize(net(xt[idx]).view(-1, 2, 3), dim=-1)
            t = yt[idx]
            cos = (d * t).sum(-1)
            bend_pred = torch.acos(torch.clamp((d[:, 0] * d[:, 1]).sum(-1), -0.999, 0.999))
            bend_true = torch.acos(torch.clamp((t[:, 0] * t[:, 1]).sum(-1), -0.999, 0.999))
            loss = (1 - cos).mean() + (bend_pred - bend_true).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        if epoch % 10 == 9 or epoch == epochs - 1:
            log(f"epoch {epoch + 1}: loss {total / n:.4f}")
    net.eval()
    layers = [m for m in net if isinstance(m, torch.nn.Linear)]
    weights = {"mean": mean.astype(np.float32), "scale": scale.astype(np.float32)}
    for k, layer in enumerate(layers):
        weights[f"w{k}"] = layer.weight.detach().numpy().T.astype(np.float32)
        weights[f"b{k}"] = layer.bias.detach().numpy().astype(np.float32)
    return weights


def ensemble(members):
    """One weights file holding several networks trained on the same features (their shared
    normalisation kept once), which ``lift.ArmLifter`` averages."""
    weights = {"mean": members[0]["mean"], "scale": members[0]["scale"],
               "members": np.array(len(members))}
    for m, member in enumerate(members):
        prefix = f"m{m}_" if m else ""
        weights.update({prefix + k: v for k, v in member.items() if k not in ("mean", "scale")})
    return weights


def members_of(path):
    """Each member's weights in a lifter file, with the shared normalisation, to go on from."""
    with np.load(path) as data:
        weights = {k: data[k] for k in data.files}
    out = []
    for m in range(int(weights.get("members", 1))):
        prefix = f"m{m}_" if m else ""
        member = {k[len(prefix):]: v for k, v in weights.items()
                  if k.startswith(prefix) and k[len(prefix):len(prefix) + 1] in "wb"
                  and k[len(prefix) + 1:].isdigit()}
        out.append({"mean": weights["mean"], "scale": weights["scale"], **member})
    return out, [int(k) for k in weights["context"]]


def score(weights, video, work):
    """Median elbow bend error (degrees) per side: (the lifter's, the detector's)."""
    from talkrig.inference.capture.lift import ArmLifter

    lifter = ArmLifter({k: np.asarray(v, dtype=np.float64) for k, v in weights.items()})
    x, y, had, sides = pairs(video, work, lifter.context)
    pred = lifter.directions(x)
    out = {}
    for k, side in enumerate(SIDES):
        m = sides == k
        out[side] = tuple(float(np.median(np.abs(bend(d[m]) - bend(y[m])))) for d in (pred, had))
    return out


def videos_in(folders):
    found = []
    for folder in folders:
        found += sorted(v for v in Path(folder).glob("*.mp4")
                        if v.with_suffix(".npz").exists()
                        and v.with_suffix(".camera.json").exists())
    return found


def main():
    from talkrig.inference.capture.lift import CONTEXT

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=Path, nargs="+", required=True)
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "talkrig-arm-lifter")
    parser.add_argument("--holdout", nargs="*", default=[])
    parser.add_argument("--match", default="_720p_")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "inference/capture/arm_lifter_mediapipe.npz")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--context", type=int, nargs="+", default=None,
                        help="frames read around each frame (default: lift.CONTEXT)")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--weight-decay", type=float, default=1e-3)
    parser.add_argument("--members", type=int, default=3,
                        help="networks trained from seeds SEED, SEED+1, ... and averaged")
    parser.add_argument("--init", type=Path, default=None, metavar="LIFTER",
                        help="go on from this lifter's members (its normalisation, context and "
                             "member count kept) on the videos given")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate (default 1e-3; 1e-4 going on from --init)")
    args = parser.parse_args()
    starts = [None] * args.members
    if args.init is not None:
        try:
            starts, args.context = members_of(args.init)
        except (OSError, ValueError, KeyError) as error:
            print(f"--init {args.init}: not an arm lifter's weights ({error})", file=sys.stderr)
            return 2
        args.hidden = starts[0]["w0"].shape[1]
    lr = args.lr or (1e-3 if args.init is None else 1e-4)
    args.work.mkdir(parents=True, exist_ok=True)
    videos = [v for v in videos_in(args.videos) if args.match in v.name]
    if not videos:
        print("no video with a truth take and camera in " + " ".join(map(str, args.videos)),
              file=sys.stderr)
        return 2
    held = [v for v in videos if any(h in v.stem for h in args.holdout)]
    trained = [v for v in videos if v not in held]
    data = [pairs(v, args.work, args.context) for v in trained]
    x, y = (np.concatenate([d[k] for d in data]) for k in (0, 1))
    print(f"{len(trained)} videos, {len(x)} arms to train on; {len(held)} held out", flush=True)
    weights = ensemble([train(x, y, args.epochs, args.seed + m, args.hidden, args.weight_decay,
                              start=start, lr=lr) for m, start in enumerate(starts)])
    weights["context"] = np.array(args.context or CONTEXT)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **weights)
    print(f"wrote {args.out}")
    for video in held:
        s = score(weights, video, args.work)
        print(f"{video.stem}: elbow bend error left {s['left'][0]:.1f} (detector "
              f"{s['left'][1]:.1f}), right {s['right'][0]:.1f} (detector {s['right'][1]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
