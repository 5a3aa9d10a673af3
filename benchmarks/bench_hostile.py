"""Hostile inputs of our own, through the command line: files made by hand to be absurd, broken or
hostile, each run through every command that reads that kind of file, each command a fresh
`talkrig` process.

The files (made in a temporary folder): wav headers claiming 1 Hz, 2 Hz, 3 999 Hz, 500 kHz or
2³¹ Hz, 0 or 999 channels, a data size of 4 GB behind 1 s; float samples NaN, inf or 1e30; a
FLAC decompression bomb; empty, cut, header-only, text or a picture named as sound; npz with
1e38 m roots, 1e-300 fps, complex, bool, float16, big-endian or Fortran poses, a header that is
not a Python literal, a member twice, poses missing, misshapen, NaN, one frame, or not a zip;
BVH 20 000 joints deep, 10¹² frames, frame time 0 or NaN, garbage or empty; transcripts with NUL
bytes, Latin-1, 20 MB, one 2 MB word, 2 000 words for 1 s, words JSON 100 000 deep; key poses,
bone maps, cameras and manifests of the wrong types, nested 50 000-100 000 deep, not JSON, rows
escaping the folder or holding lists; videos that are text, empty, a picture or a sound; takes
folders that are empty or hold a hostile take. The commands: generate, words, live (from a file:
it decodes before it connects), info, convert, render, eval, bake, bake-batch, capture, train and
train-renderer.

A command is **clean** when it ends within the time limit (120 s) without a traceback, with exit
code 0 (a sensible result) or 1 (some rows of a batch failed, each saying why), or with exit code
2 and one line on stderr. Prints one line per command (clean or NOT, exit code, seconds, peak RSS
of that process, the command, the first line it printed on stderr), then the totals RESULTS
reports; exits 1 when any command is not clean. The server's side of the same pass is
`bench_server_badinput.py`.

    .venv/bin/python benchmarks/bench_hostile.py [--only WORD] [--limit SECONDS]
"""

import argparse
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

LIMIT = 120.0  # seconds a command may take


# -- audio ---------------------------------------------------------------------------------------

def wav(path, samples, rate, subtype="PCM_16"):
    sf.write(path, np.asarray(samples, np.float32), rate, subtype=subtype)
    return path


def patched(path, source, offset, fmt, value):
    """``source``'s bytes with one header field (struct ``fmt`` at ``offset``) set to ``value``."""
    data = bytearray(Path(source).read_bytes())
    struct.pack_into(fmt, data, offset, value)
    path.write_bytes(bytes(data))
    return path


def flac_bomb(path):
    """A few hundred bytes of FLAC declaring 60 s of 8 channels at 655 350 Hz."""
    sf.write(path, np.zeros((6553, 8), np.float32), 655350, format="FLAC", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    packed = int.from_bytes(data[18:26], "big")
    data[18:26] = ((packed >> 36 << 36) | (655350 * 60)).to_bytes(8, "big")
    path.write_bytes(bytes(data))
    return path


def audio_files(folder):
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(16000) / 16000)
    good = wav(folder / "good.wav", tone, 16000)
    made = {
        "1 Hz claiming 27 h": wav(folder / "rate_1hz.wav", np.zeros(100_000), 1),
        "2 Hz claiming 10 min (2.4 KB)": wav(folder / "rate_2hz.wav", np.full(1200, 0.1), 2),
        "3999 Hz": wav(folder / "rate_3999hz.wav", np.zeros(3999 * 2), 3999),
        "500 kHz": wav(folder / "rate_500khz.wav", np.zeros(500_000), 500_000),
        "2^31 Hz in the header": patched(folder / "rate_2e31.wav", good, 24, "<I", 2 ** 31),
        "0 channels": patched(folder / "channels_0.wav", good, 22, "<H", 0),
        "999 channels": patched(folder / "channels_999.wav", good, 22, "<H", 999),
        "4 GB data size behind 1 s": patched(folder / "data_4gb.wav", good, 40, "<I", 0xFFFFFFF0),
        "float NaN": wav(folder / "float_nan.wav", np.full(16000, np.nan), 16000, "FLOAT"),
        "float inf": wav(folder / "float_inf.wav", np.full(16000, np.inf), 16000, "FLOAT"),
        "float 1e30": wav(folder / "float_1e30.wav", np.full(16000, 1e30), 16000, "FLOAT"),
        "FLAC bomb (655 kHz x 8 x 60 s)": flac_bomb(folder / "bomb.flac"),
        "empty": _write(folder / "empty.wav", b""),
        "cut in half": _write(folder / "cut.wav", good.read_bytes()[:16000]),
        "header only": _write(folder / "header_only.wav", good.read_bytes()[:44]),
        "text named .wav": _write(folder / "notes.wav", b"not a recording\n" * 50),
        "a PNG named .mp3": _write(folder / "cover.mp3", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
    }
    return made


# -- motion files --------------------------------------------------------------------------------

def npz_with(path, base, **members):
    """``base``'s members with some replaced (or removed: None)."""
    with np.load(base) as data:
        arrays = {k: data[k] for k in data.files}
    for key, value in members.items():
        if value is None:
            arrays.pop(key, None)
        else:
            arrays[key] = value
    np.savez(path, **arrays)
    return path


def npz_raw(path, members):
    """An npz written member by member (names may repeat; bytes as given)."""
    with zipfile.ZipFile(path, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": on purpose
        for name, data in members:
            archive.writestr(name, data)
    return path


def npy_bytes(array):
    import io

    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def motion_files(folder, take):
    with np.load(take) as data:
        poses, trans = data["poses"], data["trans"]
    unclosed = npy_bytes(poses).replace(b"'shape': (", b"'shape': ((", 1)
    made = {
        "trans 1e38 m": npz_with(folder / "trans_1e38.npz", take, trans=np.full_like(trans, 1e38)),
        "fps 1e-300": npz_with(folder / "fps_tiny.npz", take, mocap_frame_rate=np.float64(1e-300)),
        "complex poses": npz_with(folder / "poses_complex.npz", take, poses=poses.astype(np.complex64)),
        "bool poses": npz_with(folder / "poses_bool.npz", take, poses=poses.astype(bool)),
        "float16 poses": npz_with(folder / "poses_float16.npz", take, poses=poses.astype(np.float16)),
        "big-endian poses": npz_with(folder / "poses_bigendian.npz", take, poses=poses.astype(">f4")),
        "Fortran-order poses": npz_with(folder / "poses_fortran.npz", take, poses=np.asfortranarray(poses)),
        "NaN poses": npz_with(folder / "poses_nan.npz", take, poses=np.full_like(poses, np.nan)),
        "poses missing": npz_with(folder / "poses_missing.npz", take, poses=None),
        "poses misshapen": npz_with(folder / "poses_shape.npz", take, poses=poses[:, :100]),
        "one frame": npz_with(folder / "one_frame.npz", take, poses=poses[:1], trans=trans[:1],
                              expressions=np.zeros((1, 100), np.float32)),
        "npy header not a literal": npz_raw(folder / "header_unclosed.npz", [("poses.npy", unclosed)]),
        "a member twice": npz_raw(folder / "member_twice.npz", [("poses.npy", npy_bytes(poses)),
                                                                 ("poses.npy", npy_bytes(poses[:2]))]),
        "text named .npz": _write(folder / "notes.npz", b"not a take\n" * 20),
        "empty .npz": _write(folder / "empty.npz", b""),
    }
    return made


def bvh_files(folder):
    deep = ["HIERARCHY", "ROOT pelvis", "{", "OFFSET 0 0 0", "CHANNELS 3 Zrotation Xrotation Yrotation"]
    for k in range(20_000):
        deep += [f"JOINT j{k}", "{", "OFFSET 0 1 0", "CHANNELS 3 Zrotation Xrotation Yrotation"]
    deep += ["End Site", "{", "OFFSET 0 1 0", "}"] + ["}"] * 20_001
    deep += ["MOTION", "Frames: 1", "Frame Time: 0.0333", " ".join(["0"] * (3 * 20_001))]
    head = ("HIERARCHY\nROOT pelvis\n{\nOFFSET 0 0 0\nCHANNELS 6 Xposition Yposition Zposition "
            "Zrotation Xrotation Yrotation\nEnd Site\n{\nOFFSET 0 1 0\n}\n}\nMOTION\n")
    return {
        "20 000 joints deep": _write(folder / "deep.bvh", "\n".join(deep).encode()),
        "10^12 frames": _write(folder / "frames.bvh", (head + "Frames: 1000000000000\nFrame Time: "
                                                         "0.0333\n0 0 0 0 0 0\n").encode()),
        "frame time 0": _write(folder / "time_0.bvh", (head + "Frames: 1\nFrame Time: 0\n0 0 0 0 0 0\n").encode()),
        "frame time NaN": _write(folder / "time_nan.bvh", (head + "Frames: 1\nFrame Time: nan\n0 0 0 0 0 0\n").encode()),
        "garbage": _write(folder / "garbage.bvh", b"HIERARCHY\nROOT {{{\n" + bytes(range(32, 127)) * 40),
        "empty .bvh": _write(folder / "empty.bvh", b""),
    }


# -- text and JSON inputs ------------------------------------------------------------------------

def deep_json(depth=100_000):
    return ("[" * depth + "]" * depth).encode()


def sparse(path, size):
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


def transcript_files(folder):
    return {
        "transcript with NUL bytes": _write(folder / "nul.txt", b"hello\x00there\x00" * 10),
        "Latin-1 transcript": _write(folder / "latin1.txt", "déjà vu, über alles".encode("latin-1")),
        "a 20 MB transcript": sparse(folder / "huge.txt", 20 << 20),
        "one 2 MB word": _write(folder / "word.txt", b"a" * (2 << 20)),
        "2 000 words for 1 s": _write(folder / "book.txt", b"word " * 2000),
        "words JSON 100 000 deep": _write(folder / "deep_words.json", deep_json()),
    }


def json_files(folder, kind):
    wrong = {"keyposes": {"entries": 5}, "map": {"bones": [1, 2, 3]},
             "camera": {"width": "wide", "height": [1]}}[kind]
    made = {
        f"{kind} of the wrong types": _write(folder / f"{kind}_types.json", json.dumps(wrong).encode()),
        f"{kind} nested 100 000 deep": _write(folder / f"{kind}_deep.json", deep_json()),
        f"{kind} not JSON": _write(folder / f"{kind}_text.json", b"{not json"),
    }
    if kind == "camera":
        made["camera 100 000 pixels high"] = _write(folder / "camera_huge.json", json.dumps(
            {"width": 100000, "height": 100000, "fps": 30, "focal": 1000}).encode())
    return made


def manifest_files(folder, speech):
    rows = {
        "manifest rows nested deep": ["[" * 50_000 + "]" * 50_000],
        "manifest rows holding lists": [json.dumps({"audio": [str(speech)]}),
                                        json.dumps({"audio": str(speech), "output": ["x"]})],
        "manifest rows escaping the folder": [json.dumps({"audio": str(speech), "output": "../../escaped"})],
        "manifest of 100 000 columns": [json.dumps({f"c{k}": k for k in range(100_000)})],
    }
    return {what: _write(folder / f"manifest_{k}.jsonl", ("\n".join(lines) + "\n").encode())
            for k, (what, lines) in enumerate(rows.items())}


def video_files(folder, speech):
    return {
        "text named .mp4": _write(folder / "notes.mp4", b"not a video\n" * 100),
        "empty .mp4": _write(folder / "empty.mp4", b""),
        "a PNG named .mp4": _write(folder / "picture.mp4", b"\x89PNG\r\n\x1a\n" + bytes(256) * 8),
        "a sound named .mp4": _write(folder / "sound.mp4", Path(speech).read_bytes()),
    }


def takes_folders(folder, hostile_take, speech):
    empty = folder / "takes_empty"
    empty.mkdir()
    bad = folder / "takes_hostile"
    bad.mkdir()
    (bad / "take.npz").write_bytes(Path(hostile_take).read_bytes())
    (bad / "take.wav").write_bytes(Path(speech).read_bytes())
    return {"an empty takes folder": empty, "a takes folder holding a hostile take": bad}


def _write(path, data):
    path.write_bytes(data)
    return path


# -- the commands --------------------------------------------------------------------------------

def cases(folder):
    """[(what, [talkrig arguments])]: every hostile file through the commands that read it."""
    from talkrig.motion import Motion, save_motion

    take = folder / "take.npz"
    save_motion(Motion.rest(30, 30.0), take)
    audio = audio_files(folder)
    speech = folder / "good.wav"
    out = folder / "out"
    out.mkdir()
    runs = []
    for what, path in audio.items():
        runs += [(what, ["generate", path, "-o", out / "g.npz", "--quiet"]),
                 (what, ["words", path, "--engine", "none"]),
                 (what, ["live", path, "--url", "http://127.0.0.1:9"]),
                 (what, ["render", take, "-o", out / "r.mp4", "--size", "64x64", "--audio", path]),
                 (what, ["bake", take, "-o", out / "b.npz", "--audio", path, "--quiet"]),
                 (what, ["eval", take, "--audio", path])]
    for what, path in motion_files(folder, take).items():
        runs += [(what, ["info", path]), (what, ["convert", path, out / "c.bvh"]),
                 (what, ["render", path, "-o", out / "r.mp4", "--size", "64x64"]),
                 (what, ["eval", path]), (what, ["eval", take, "--reference", path]),
                 (what, ["bake", path, "-o", out / "b.npz", "--quiet"])]
    for what, path in bvh_files(folder).items():
        runs += [(what, ["info", path]), (what, ["convert", path, out / "c.npz"])]
    for what, path in transcript_files(folder).items():
        runs += [(what, ["words", speech, "--engine", "auto", "--transcript", path]),
                 (what, ["generate", speech, "-o", out / "g.npz", "--quiet", "--transcript", path])]
    for what, path in json_files(folder, "keyposes").items():
        runs += [(what, ["generate", speech, "-o", out / "g.npz", "--quiet", "--speech", "none",
                         "--keyposes", path])]
    for what, path in json_files(folder, "map").items():
        runs += [(what, ["bake", take, "-o", out / "b.bvh", "--map", path, "--quiet"])]
    for what, path in json_files(folder, "camera").items():
        runs += [(what, ["render", take, "-o", out / "r.mp4", "--camera", path])]
    for what, path in manifest_files(folder, speech).items():
        runs += [(what, ["bake-batch", path, "--out", out / "batch", "--format", "npz", "--quiet",
                         "--speech", "none", "--workers", "1"])]
    for what, path in video_files(folder, speech).items():
        runs += [(what, ["capture", path, "-o", out / "takes", "--quiet"]),
                 (what, ["train-renderer", "--video", path, "-o", out / "renderer", "--steps", "1"])]
    for what, path in takes_folders(folder, folder / "poses_nan.npz", speech).items():
        runs += [(what, ["train", "--backend", "s2v", "--data", path, "-o", out / "model",
                         "--epochs", "1"])]
    return runs, count_files(folder)


def count_files(folder):
    """The hostile inputs made (files and takes folders; not the outputs, the good take or sound)."""
    skip = {"out", "take.npz", "good.wav"}
    return sum(1 for p in folder.iterdir() if p.name not in skip)


def run(argv, cwd, limit):
    """(exit code or None when killed at the limit, seconds, peak RSS MB, stdout, stderr)."""
    env = dict(os.environ, XDG_CONFIG_HOME=str(cwd / "config"), XDG_DATA_HOME=str(cwd / "share"),
               BLENDER_USER_RESOURCES=str(cwd / "blender"))
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen([sys.executable, "-m", "talkrig", *map(str, argv)], cwd=cwd,
                                 stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                 start_new_session=True)
        code, usage = _wait(child, start + limit)
        out.seek(0)
        err.seek(0)
        return (code, time.monotonic() - start, usage.ru_maxrss / 1024.0,
                out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def _wait(child, deadline):
    """(exit code, rusage) of the child; None as the code when it was killed at the deadline."""
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            return os.waitstatus_to_exitcode(status), usage
        if time.monotonic() > deadline:
            os.killpg(child.pid, signal.SIGKILL)
            _, _, usage = os.wait4(child.pid, 0)
            return None, usage
        time.sleep(0.02)


def clean(code, out, err):
    """One line or a sensible result: no traceback, in time, 0, 1 (batch rows failed) or 2 with
    one line."""
    if code is None or "Traceback" in out + err:
        return False
    lines = [line for line in err.splitlines() if line.strip()]
    return code in (0, 1) or (code == 2 and len(lines) == 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only the commands whose input or arguments hold WORD")
    parser.add_argument("--limit", type=float, default=LIMIT, help="seconds a command may take")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="talkrig-hostile-") as tmp:
        folder = Path(tmp)
        runs, files = cases(folder)
        if args.only:
            runs = [(w, a) for w, a in runs if args.only in w or args.only in " ".join(map(str, a))]
        results = []
        for what, argv_ in runs:
            code, seconds, peak, out, err = run(argv_, folder, args.limit)
            ok = clean(code, out, err)
            results.append((ok, code, seconds, peak, "Traceback" in out + err))
            first = next((line.strip() for line in err.splitlines() if line.strip()), "")
            shown = " ".join(str(a).replace(tmp + "/", "") for a in argv_)
            print(f"{'clean' if ok else 'NOT  '} {code if code is not None else 'killed':>6} "
                  f"{seconds:6.1f} s {peak:6.0f} MB  [{what}] {shown}  -> {first[:160]}", flush=True)
    bad = [r for r in results if not r[0]]
    print(f"\n{files} hostile inputs (files and folders), {len(results)} commands: {len(results) - len(bad)} clean, "
          f"{len(bad)} not; {sum(r[4] for r in results)} tracebacks, "
          f"{sum(r[1] is None for r in results)} over {args.limit:g} s; exit codes "
          + ", ".join(f"{c}: {sum(r[1] == c for r in results)}" for c in sorted({r[1] for r in results
                                                                                 if r[1] is not None}))
          + f"; peak RSS {max((r[3] for r in results), default=0):.0f} MB, slowest "
          f"{max((r[2] for r in results), default=0):.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
