"""The voice detector's two parts, cut from Silero VAD's sequence model (MIT).

The sequence model (``silero_vad/data/silero_vad_16k_sequence.onnx`` in the ``silero-vad``
wheel on PyPI) reads a block of 32 ms frames: each frame's spectrum and convolutions, then an
LSTM carried from frame to frame. The first part holds no state, so blocks of frames can run
on several cores at once; only the small second part must run in order. Cut at the LSTM's
input, the two parts give every probability of the whole model to the bit
(``tests/speech/test_voice_detector.py``).

    python tools/split_voice_model.py silero_vad_16k_sequence.onnx inference/features/voice_model

Needs the ``onnx`` package (the ``train`` extra).
"""

import argparse
import sys
from pathlib import Path

# The tensor between the two parts: (frames, 1, 128), the convolutions' output turned for the LSTM.
CUT = "/Transpose_output_0"
FRAMES_NAME, STATE_NAME = "silero_vad_16k_frames.onnx", "silero_vad_16k_state.onnx"  # the detector's (tested)


def split(source, folder):
    """Write the two parts of the sequence model ``source`` into ``folder``; returns their paths."""
    import onnx.utils  # the train extra: main() says so in one line where it is missing

    folder.mkdir(parents=True, exist_ok=True)
    frames, state = folder / FRAMES_NAME, folder / STATE_NAME
    onnx.utils.extract_model(str(source), str(frames), ["input"], [CUT])
    onnx.utils.extract_model(str(source), str(state), [CUT, "h", "c"], ["speech_probs", "hn", "cn"])
    return frames, state


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="silero_vad_16k_sequence.onnx")
    parser.add_argument("folder", type=Path, help="where the two parts are written")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        parser.exit(2, f"no such model file: {args.source}\n")
    try:
        paths = split(args.source, args.folder)
    except ImportError:
        parser.exit(2, "cutting the model needs the onnx package: pip install 'talkrig[train]'\n")
    except Exception as exc:  # onnx raises its own types for a file that is no such model
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        parser.exit(2, f"cannot cut {args.source}: {first}\n")
    for path in paths:
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
