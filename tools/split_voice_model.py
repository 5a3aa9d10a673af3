"""The voice detector's two parts, cut from Silero VAD's sequence model (MIT).

The sequence model (``silero_vad/data/silero_vad_16k_sequence.onnx`` in the ``silero-vad``
wheel on PyPI) reads a block of 32 ms frames: each frame's spectrum and convolutions, then an
LSTM carried from frame to frame. The first part holds no state, so blocks of frames can run
while the small second part reads them in order. Cut at the LSTM's input, the second part gives
the whole model's outputs to the bit from the first part's.

The first part is written again as matrix products. ONNX Runtime convolves a block one frame at
a time, each frame's few steps (four windows of its spectrum, four or fewer taps' worth of
convolution) a product too thin to be quick; laid side by side (every frame's windows, then
every step's taps, as rows), the spectrum and each convolution are one product over the whole
block: 3-4x quicker, the same values within float32 rounding. The rewritten part is checked
against the part as cut on random frames (onnx's reference evaluator) before it is written; a
model of another build is refused.

    python tools/split_voice_model.py silero_vad_16k_sequence.onnx inference/features/voice_model

Needs the ``onnx`` package (the ``train`` extra).
"""

import argparse
import sys
from pathlib import Path

import numpy as np

# The tensor between the two parts: (frames, 1, 128), the convolutions' output turned for the LSTM.
CUT = "/Transpose_output_0"
FRAMES_NAME, STATE_NAME = "silero_vad_16k_frames.onnx", "silero_vad_16k_state.onnx"  # the detector's (tested)
CHECK_FRAMES = 16  # random frames the rewritten part is checked on
TOLERANCE = 1e-4  # of the cut's largest value: float32 rounding in another order, nothing more


def split(source, folder):
    """Write the two parts of the sequence model ``source`` into ``folder``; returns their paths.
    Nothing is written unless both parts are made and the first checked."""
    import tempfile

    import onnx  # the train extra: main() says so in one line where it is missing
    import onnx.utils

    with tempfile.TemporaryDirectory() as scratch:
        cut, state = Path(scratch) / FRAMES_NAME, Path(scratch) / STATE_NAME
        onnx.utils.extract_model(str(source), str(cut), ["input"], [CUT])
        onnx.utils.extract_model(str(source), str(state), [CUT, "h", "c"], ["speech_probs", "hn", "cn"])
        as_cut = onnx.load(str(cut))
        products = as_products(as_cut)
        onnx.checker.check_model(products, full_check=True)
        check_same(as_cut, products)
        folder.mkdir(parents=True, exist_ok=True)
        onnx.save(products, str(folder / FRAMES_NAME))
        (folder / STATE_NAME).write_bytes(state.read_bytes())
    return folder / FRAMES_NAME, folder / STATE_NAME


class _Graph:
    """Nodes and constants of the graph being written, each named for what it holds."""

    def __init__(self):
        self.nodes, self.constants = [], []

    def constant(self, name, value):
        from onnx import numpy_helper

        self.constants.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op, inputs, output, **attributes):
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    def slice(self, x, start, stop, axis, step, output):
        ints = lambda v: np.array([v], np.int64)
        return self.node("Slice", [x, self.constant(output + "/start", ints(start)),
                                   self.constant(output + "/stop", ints(stop)),
                                   self.constant(output + "/axis", ints(axis)),
                                   self.constant(output + "/step", ints(step))], output)


def as_products(model):
    """Silero's frame part (reflect padding, a strided convolution as its spectrum, the
    magnitude of its two halves without the first step, then convolutions and ReLUs) as matrix
    products over every frame of a block; a (frames, steps, channels) layout throughout, which
    is the cut's. Raises ValueError for a graph of another shape."""
    from onnx import TensorProto, helper, numpy_helper

    weights = {w.name: numpy_helper.to_array(w) for w in model.graph.initializer}
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    followers = {i: n.op_type for n in model.graph.node for i in n.input}
    length = model.graph.input[0].type.tensor_type.shape.dim[1].dim_value
    if len(convs) < 2 or not length or any(n.input[1] not in weights for n in convs):
        raise ValueError("its first part is not a spectrum and convolutions of a fixed frame length")
    basis = weights[convs[0].input[1]]  # (2 bins, 1, window)
    window, hop = basis.shape[-1], _attribute(convs[0], "strides", [1])[0]
    g = _Graph()
    padded = g.node("Pad", ["input", g.constant("spectrum/pads", np.array([0, window // 2] * 2, np.int64))],
                    "spectrum/padded", mode="reflect")
    steps = (length + 2 * (window // 2) - window) // hop + 1
    row = g.constant("spectrum/row_axis", np.array([1], np.int64))
    windows = [g.node("Unsqueeze", [g.slice(padded, t * hop, t * hop + window, 1, 1, f"spectrum/window{t}"), row],
                      f"spectrum/window{t}/row") for t in range(1, steps)]  # the first step is dropped
    spectrum = g.node("MatMul", [g.node("Concat", windows, "spectrum/windows", axis=1),
                                 g.constant("spectrum/basis", basis[:, 0, :].T)], "spectrum/bins")
    bins = basis.shape[0] // 2
    halves = [g.slice(spectrum, a, b, 2, 1, f"spectrum/{n}") for a, b, n in ((0, bins, "real"), (bins, 2 * bins, "imaginary"))]
    squares = [g.node("Mul", [h, h], h + "/squared") for h in halves]
    x = g.node("Sqrt", [g.node("Add", squares, "spectrum/power")], "spectrum/magnitude")
    steps -= 1
    for k, conv in enumerate(convs[1:]):
        x, steps = _conv_as_product(g, x, steps, conv, weights, f"conv{k}")
        if followers.get(conv.output[0]) == "Relu":
            x = g.node("Relu", [x], f"conv{k}/relu")
    g.node("Identity", [x], CUT)
    graph = helper.make_graph(
        g.nodes, model.graph.name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["frames", length])],
        [helper.make_tensor_value_info(CUT, TensorProto.FLOAT, ["frames", steps, weights[convs[-1].input[1]].shape[0]])],
        g.constants)
    out = helper.make_model(graph, opset_imports=model.opset_import)
    out.ir_version = model.ir_version
    return out


def _conv_as_product(g, x, steps, conv, weights, name):
    """A 1-D convolution of ``x`` (frames, steps, channels): its taps side by side, one product."""
    w = weights[conv.input[1]]  # (out, in, taps)
    taps = w.shape[-1]
    pad = _attribute(conv, "pads", [0, 0])
    stride = _attribute(conv, "strides", [1])[0]
    if _attribute(conv, "group", 1) != 1 or _attribute(conv, "dilations", [1]) != [1]:
        raise ValueError(f"{conv.name} is a grouped or dilated convolution")
    out_steps = (steps + pad[0] + pad[1] - taps) // stride + 1
    padded = g.node("Pad", [x, g.constant(f"{name}/pads", np.array([0, pad[0], 0, 0, pad[1], 0], np.int64))],
                    f"{name}/padded")
    rows = [g.slice(padded, j, j + stride * (out_steps - 1) + 1, 1, stride, f"{name}/tap{j}") for j in range(taps)]
    y = g.node("MatMul", [g.node("Concat", rows, f"{name}/taps", axis=2),
                          g.constant(f"{name}/weight", w.transpose(2, 1, 0).reshape(-1, w.shape[0]))], f"{name}/product")
    if len(conv.input) > 2:
        y = g.node("Add", [y, g.constant(f"{name}/bias", weights[conv.input[2]])], f"{name}/biased")
    return y, out_steps


def _attribute(node, name, default):
    from onnx import helper

    for attribute in node.attribute:
        if attribute.name == name:
            value = helper.get_attribute_value(attribute)
            return list(value) if isinstance(value, (list, tuple)) else value
    return default


def check_same(cut, products):
    """Raise ValueError unless ``products`` gives ``cut``'s output on random frames (as loud as
    speech), within float32 rounding."""
    from onnx.reference import ReferenceEvaluator

    length = cut.graph.input[0].type.tensor_type.shape.dim[1].dim_value
    frames = np.random.default_rng(0).uniform(-0.5, 0.5, (CHECK_FRAMES, length)).astype(np.float32)
    (want,) = ReferenceEvaluator(cut).run(None, {"input": frames})
    (got,) = ReferenceEvaluator(products).run(None, {"input": frames})
    if want.shape != got.shape or not np.all(np.abs(want - got) <= TOLERANCE * max(1.0, np.abs(want).max())):
        raise ValueError("its first part is not Silero VAD's spectrum and convolutions: written as "
                         "matrix products it gives other values")


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
