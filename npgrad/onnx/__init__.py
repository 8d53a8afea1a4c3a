"""Export npgrad models to ONNX, to run them with onnxruntime or any other ONNX runtime.

    import npgrad.onnx
    npgrad.onnx.export(model, example_input, "model.onnx")

Needs the `onnx` package (`pip install "npgrad[onnx]"`, which also installs onnxruntime);
it is imported only when export() runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from ..nn.module import Module
from ..tensor import Tensor


def export(
    model: Module,
    example_input: Tensor | np.ndarray | tuple[Tensor | np.ndarray, ...],
    path: str | os.PathLike | IO[bytes],
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    opset_version: int = 17,
    dynamic_batch: bool = True,
) -> Any:  # an onnx.ModelProto (onnx is optional)
    """Write `model` as an ONNX file at `path` (a file name or a writable binary file) and return
    the onnx.ModelProto.

    The model runs in evaluation mode (Dropout off, BatchNorm on its running statistics) on
    `example_input` (a tensor or array, or a tuple of them for a model with several inputs), and
    every operation it applies is recorded and converted to ONNX nodes, so any forward pass
    built from the supported operations exports: Sequential models and any custom forward with
    residual additions, concatenation, reshapes and indexing. nn.RNN, nn.LSTM and nn.GRU become
    ONNX's RNN, LSTM and GRU ops. Parameters and buffers become initializers under their
    state_dict names. An operation without an ONNX conversion raises NotImplementedError
    naming it and the module it ran in.

    input_names, output_names: the graph's input and output names (default "input"/"output",
        or "input_0", "input_1", ... when there are several); the outputs are the tensors the
        model returns, nested tuples flattened in order.
    opset_version: the ONNX opset, 17 or later.
    dynamic_batch: dim 0 of every input is the symbolic dim "batch", so the file runs on any
        batch size; the outputs' batch dims are found by running the model on a second batch
        of another size. False fixes every dim to the example's.
    """
    try:
        import onnx
    except ImportError:
        raise ImportError("npgrad.onnx.export needs the onnx package: pip install 'npgrad[onnx]'") from None
    from ._export import export as export_model

    return export_model(model, example_input, path, input_names, output_names, opset_version, dynamic_batch)
