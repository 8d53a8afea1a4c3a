"""export(): trace the model twice, convert every recorded call, write the ONNX file.

The model runs twice in evaluation mode: on the example input, and on a second input with the
samples in reverse order and, for a dynamic batch, one sample more. Comparing the two
recordings call by call shows which dims follow the batch size (they become the symbolic dim
"batch", and a reshape's target gets -1 there) and catches what a single recording would
silently bake into the file: a different sequence of operations, or an option or a constant
that changed with the input (computed outside the recorded ops, e.g. through .numpy()). Each
is reported with the op and the module it came from.
"""

from __future__ import annotations

import os
from collections import namedtuple
from collections.abc import Sequence
from typing import IO

import numpy as np
import onnx
from onnx import helper

from .. import __version__
from ..autograd import enable_grad
from ..nn.module import Module, eval_mode
from ..tensor import Tensor
from . import _trace
from ._functions import CONVERTERS
from ._graph import Graph, Symbols
from ._modules import module_converter

MIN_OPSET = 17  # LayerNormalization; Softmax, Split and Reduce* as used here

Run = namedtuple("Run", ["inputs", "outputs", "calls"])


def export(
    model: Module,
    example_input: Tensor | np.ndarray | tuple[Tensor | np.ndarray, ...],
    path: str | os.PathLike | IO[bytes],
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    opset_version: int = 17,
    dynamic_batch: bool = True,
) -> onnx.ModelProto:
    """See npgrad.onnx.export."""
    if not MIN_OPSET <= opset_version <= onnx.defs.onnx_opset_version():
        raise ValueError(
            f"npgrad.onnx.export: opset_version must be between {MIN_OPSET} and "
            f"{onnx.defs.onnx_opset_version()}, got {opset_version}"
        )
    examples = _examples(example_input, dynamic_batch)
    input_names = _names("input_names", input_names, "input", len(examples))
    with eval_mode(model):
        first = _run(model, examples)
        second = _run(model, [_second_input(x, dynamic_batch) for x in examples])
    output_names = _names("output_names", output_names, "output", len(first.outputs))
    if [c.name for c in first.calls] != [c.name for c in second.calls] or len(first.outputs) != len(second.outputs):
        raise NotImplementedError(
            "npgrad.onnx.export: the model ran other operations for a second input (another "
            "batch size and order); only a forward pass that does not branch on its input "
            "can be exported"
        )
    symbols = (Symbols(), Symbols())
    for table, run in zip(symbols, (first, second)):
        for name, x in zip(input_names, run.inputs):
            table.bind(x._data, ("value", name))
    graph = Graph(opset_version, symbols[0], _constant_names(model))
    for call, partner in zip(first.calls, second.calls):
        _convert(graph, symbols, call, partner)
    graph.scope = ""
    for name, output, partner in zip(output_names, first.outputs, second.outputs):
        if not _same_entry(symbols[0].resolve(output), symbols[1].resolve(partner)):
            raise NotImplementedError(
                f"npgrad.onnx.export: output {name!r} changes with the model's input but was "
                f"not computed by recorded operations (argmax, a comparison, .numpy()?)"
            )
        graph.node("Identity", [graph.input(output)], output_names=[name])
    proto = _model(
        type(model).__name__,
        graph,
        [_value_info(*io) for io in zip(input_names, first.inputs, second.inputs)],
        [_value_info(*io) for io in zip(output_names, first.outputs, second.outputs)],
    )
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, path)
    return proto


def _examples(example_input, dynamic_batch):
    """The example inputs as arrays: a tensor or array, or a tuple of them."""
    arrays = []
    for item in example_input if isinstance(example_input, (tuple, list)) else [example_input]:
        if not isinstance(item, (Tensor, np.ndarray)):
            raise TypeError(f"npgrad.onnx.export: example inputs must be tensors, got {type(item).__name__}")
        array = item._data if isinstance(item, Tensor) else item
        if dynamic_batch and array.ndim == 0:
            raise ValueError(
                "npgrad.onnx.export: dynamic_batch=True needs inputs with a batch dim (dim 0), got a 0-d input"
            )
        arrays.append(array)
    return arrays


def _second_input(x, dynamic_batch):
    """The samples in reverse order, and one more for a dynamic batch."""
    return np.concatenate([x[::-1], x[:1]]) if dynamic_batch else x[::-1].copy()


def _names(what, names, prefix, count):
    if names is None:
        return [prefix] if count == 1 else [f"{prefix}_{i}" for i in range(count)]
    names = list(names)
    if len(names) != count or len(set(names)) != count:
        raise ValueError(f"npgrad.onnx.export: expected {count} distinct {what} (one per model {prefix}), got {names}")
    return names


def _run(model, examples):
    """One recorded forward pass. Floating inputs require grad, so that every in-place op on
    what they feed is recorded as a new value (see Tensor._inplace)."""
    inputs = [Tensor(x.copy(), requires_grad=x.dtype.kind == "f") for x in examples]
    with enable_grad(), _trace.record(model, lambda module: module_converter(module) is not None) as calls:
        output = model(*inputs)
    outputs = _trace.tensors(output)
    if not outputs:
        raise TypeError(f"npgrad.onnx.export: the model returned no tensor, got {type(output).__name__}")
    return Run(inputs, outputs, calls)


def _constant_names(model):
    """Parameters and buffers by the id of their array: initializers get their state_dict names."""
    named = list(model.named_parameters()) + list(model.named_buffers())
    return {id(t._data): name for name, t in named}


def _convert(graph, symbols, call, partner):
    """Check call against its partner in the second pass, then fold it (constant inputs only)
    or convert it; bind its outputs in both passes."""
    call.partner = partner
    converter = CONVERTERS.get(call.op) if isinstance(call.op, type) else module_converter(call.op)
    _check_partner(symbols, call, getattr(converter, "batch_dependent", ()))
    if isinstance(call.op, type) and all(symbols[0].resolve(x)[0] == "const" for x in call.inputs if x is not None):
        entries = [[("const", array) for array in c.outputs] for c in (call, partner)]
    else:
        if converter is None:
            raise NotImplementedError(
                f"npgrad.onnx.export: no ONNX export for {call.where()} ({_qualified_name(call.op)})"
            )
        graph.scope = call.scope
        names = converter(graph, call)
        names = [names] if isinstance(names, str) else names
        entries = [[("value", name) for name in names]] * 2
    for table, c, bound in zip(symbols, (call, partner), entries):
        for array, entry in zip(c.outputs, bound):
            table.bind(array, entry)


def _qualified_name(op):
    cls = op if isinstance(op, type) else type(op)
    return f"{cls.__module__}.{cls.__qualname__}"


def _check_partner(symbols, call, batch_dependent):
    partner = call.partner
    if [t.ndim for t in call.outputs] != [t.ndim for t in partner.outputs] or len(call.inputs) != len(partner.inputs):
        raise NotImplementedError(
            f"npgrad.onnx.export: {call.where()} gives outputs of other ranks for another "
            f"batch size (a squeeze of a batch of 1?); use an example batch of 2 or more"
        )
    for i, (a, b) in enumerate(zip(call.inputs, partner.inputs)):
        if (a is None) != (b is None) or (
            a is not None and not _same_entry(symbols[0].resolve(a), symbols[1].resolve(b))
        ):
            raise NotImplementedError(
                f"npgrad.onnx.export: input {i} of {call.where()} changes with the model's input (its values or "
                f"its batch size) but was not computed by recorded operations (through .numpy(), a comparison, "
                f"an op without gradient, zeros of the batch size?), so it cannot be exported"
            )
    for key, value in call.options.items():
        if key not in batch_dependent and not _same(value, partner.options.get(key)):
            raise NotImplementedError(
                f"npgrad.onnx.export: option {key!r} of {call.where()} depends on the "
                f"batch size or on the input's values, so it cannot be exported"
            )


def _same_entry(a, b):
    return a[0] == b[0] and (a[1] == b[1] if a[0] == "value" else _same(a[1], b[1]))


def _same(a, b):
    """Equal options or constants: arrays by shape and value, containers item by item."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind == "f" and b.dtype.kind == "f")
        )
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def _value_info(name, first, second):
    """A graph input or output: dims that differ between the two passes are "batch"."""
    dims = ["batch" if a != b else a for a, b in zip(first.shape, second.shape)]
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(first.dtype), dims)


def _model(name, graph, inputs, outputs):
    opsets = [helper.make_opsetid("", graph.opset)]
    onnx_graph = helper.make_graph(graph.nodes, name, inputs, outputs, graph.initializers)
    return helper.make_model(
        onnx_graph,
        opset_imports=opsets,
        producer_name="npgrad",
        producer_version=__version__,
        ir_version=helper.find_min_ir_version_for(opsets),
    )
