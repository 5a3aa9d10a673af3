"""ONNX export with a dynamic time axis, and the check that onnxruntime agrees with torch.

Convolutional graphs go through the torch.export-based exporter (onnxscript). Recurrent graphs
(nn.LSTM) use the TorchScript-based exporter: it emits ONNX's own LSTM operator, whose sequence
length stays dynamic, where the torch.export path specialises the time axis.
"""

import contextlib
import logging
import os
import warnings
from pathlib import Path

import numpy as np
import torch

log = logging.getLogger(__name__)


def export_graph(module, example, path, input_names, output_names, time_axes, recurrent=False):
    """Write ``module`` called on ``example`` (a tuple of tensors) to ``path`` as ONNX.

    time_axes : {input or output name: axis} of every tensor whose time axis is dynamic.
    """
    path = Path(path)
    tmp = path.with_suffix(".onnx.tmp")
    module = module.eval()
    quiet = _quiet("torch.onnx", "torch.export", "onnxscript", "onnx_ir")
    with warnings.catch_warnings(), torch.no_grad(), quiet:
        warnings.simplefilter("ignore")
        if recurrent:
            torch.onnx.export(
                module, example, str(tmp), input_names=input_names, output_names=output_names,
                dynamic_axes={name: {axis: "time"} for name, axis in time_axes.items()},
                opset_version=17, dynamo=False,
            )
        else:
            time = torch.export.Dim.DYNAMIC
            shapes = tuple({time_axes[n]: time} if n in time_axes else None for n in input_names)
            program = torch.onnx.export(
                module, example, input_names=input_names, output_names=output_names,
                dynamic_shapes=shapes, dynamo=True, verbose=False,
            )
            program.save(str(tmp))
    os.replace(tmp, path)
    return path


@contextlib.contextmanager
def _quiet(*names):
    """Hide the exporters' own progress and advisory log lines (errors still show)."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def max_abs_difference(module, path, feeds):
    """Largest |onnxruntime - torch| over all outputs for the numpy ``feeds`` (a dict)."""
    from ....inference.onnx_runtime import onnxruntime

    ort = onnxruntime()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    ort_out = session.run(None, {n: feeds[n] for n in names})
    with torch.no_grad():
        torch_out = module.eval()(*[torch.from_numpy(feeds[n]) for n in names])
    if isinstance(torch_out, torch.Tensor):
        torch_out = (torch_out,)
    return max(float(np.max(np.abs(a - b.numpy()))) for a, b in zip(ort_out, torch_out))
