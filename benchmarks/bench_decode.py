"""Audio decoding: peak memory and time for large and hostile inputs, streamed vs whole-file.

Each case runs in a fresh process and reports the growth of its peak RSS over the process after
imports (ru_maxrss), so figures are what one decode costs. Cases (made in a temporary folder):
- the audit's decompression bomb, 10 s of it: silent FLAC, 8 channels at 655 350 Hz;
- 60 s of 8 channels at 192 kHz (FLAC), 10 min of 48 kHz stereo (WAV), a real 62 s recording.
Beside each, the baseline a whole-file decoder pays: libsndfile's sf.read of the whole file,
mix-down and one-shot resampling (what decode_audio did before it streamed).

    .venv/bin/python benchmarks/bench_decode.py [--repeat 3]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

CHILD = r"""
import json, resource, sys, time
import numpy as np, soundfile as sf, soxr
from talkrig.inference.audio.decode import AudioError, decode_audio

def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # MiB

path, mode = sys.argv[1], sys.argv[2]
before, t0 = rss(), time.perf_counter()
try:
    if mode == "streamed":
        audio = decode_audio(path, max_seconds=None)
        result = f"{audio.duration:.1f} s decoded"
    else:
        x, rate = sf.read(path, dtype="float32", always_2d=True)
        mono = soxr.resample(x.mean(axis=1), rate, 16000)
        result = f"{len(mono) / 16000:.1f} s decoded"
except AudioError as exc:
    result = "refused: " + exc.problem[:60]
except MemoryError:
    result = "MemoryError"
print(json.dumps({"seconds": time.perf_counter() - t0, "rss": rss() - before, "result": result}))
"""


def make_cases(folder):
    folder = Path(folder)
    bomb = folder / "bomb.flac"
    with sf.SoundFile(bomb, "w", 655350, 8, format="FLAC", subtype="PCM_16") as f:
        silence = np.zeros((655350, 8), np.float32)
        for _ in range(10):
            f.write(silence)
    octo = folder / "octo_192k.flac"
    t = np.arange(192000) / 192000
    second = np.repeat((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[:, None], 8, axis=1)
    with sf.SoundFile(octo, "w", 192000, 8, format="FLAC", subtype="PCM_16") as f:
        for _ in range(60):
            f.write(second)
    long = folder / "ten_minutes_48k_stereo.wav"
    t = np.arange(48000) / 48000
    stereo = np.repeat((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[:, None], 2, axis=1)
    with sf.SoundFile(long, "w", 48000, 2, subtype="PCM_16") as f:
        for _ in range(600):
            f.write(stereo)
    cases = [("bomb: 10 s x 8 ch x 655 350 Hz FLAC of silence", bomb),
             ("60 s x 8 ch x 192 kHz FLAC", octo), ("10 min x 2 ch x 48 kHz WAV", long)]
    real = DATA / "beat2_scott_train" / "2_scott_0_2_2.wav"
    if real.exists():
        cases.append(("real recording 2_scott_0_2_2.wav (62 s)", real))
    return cases


def run(path, mode):
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), mode], capture_output=True,
                         text=True, timeout=600)
    if out.returncode != 0:
        return {"seconds": float("nan"), "rss": float("nan"), "result": out.stderr.strip()[-80:]}
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print("| input | file | decoder | result | peak RSS growth MiB | time s (median) |")
        print("|---|---|---|---|---|---|")
        for label, path in make_cases(folder):
            size = path.stat().st_size
            for mode in ("streamed", "whole-file baseline"):
                runs = [run(path, mode) for _ in range(args.repeat)]
                rss = statistics.median(r["rss"] for r in runs)
                seconds = statistics.median(r["seconds"] for r in runs)
                print(f"| {label} | {size / 1e6:.3g} MB | {mode} | {runs[0]['result']} | "
                      f"{rss:.0f} | {seconds:.2f} |", flush=True)


if __name__ == "__main__":
    main()
