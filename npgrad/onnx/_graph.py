"""The ONNX graph under construction: nodes, initializers (constants) and fresh value names.

Converters (see _functions.py and _modules.py) build nodes with `graph.node(op_type, inputs,
**attributes)`, get an input's value name with `graph.input(x)` (a constant becomes an
initializer the first time it is used) and make constants with `graph.const(array)`.
"""

import itertools

import numpy as np
from onnx import helper, numpy_helper

from ..tensor import Tensor


class Graph:
    def __init__(self, opset, symbols, constant_names):
        self.opset, self.symbols = opset, symbols
        self.nodes, self.initializers = [], []
        self.scope = ""  # the module the current call ran in: it prefixes node names
        self._constant_names = constant_names  # id(array) -> a readable name (parameters, buffers)
        self._initialized = {}  # id(array) -> initializer name
        self._kept = []  # arrays made here, alive so that their ids stay unique
        self._count = itertools.count()

    def fresh(self, hint):
        return f"{hint}_{next(self._count)}"

    def node(self, op_type, inputs, n_outputs=1, output_names=None, **attributes):
        """Append a node; its output name (a list of names when n_outputs > 1)."""
        outputs = output_names or [self.fresh(op_type.lower()) for _ in range(n_outputs)]
        name = f"{self.scope}/{op_type}" if self.scope else op_type
        self.nodes.append(helper.make_node(op_type, list(inputs), outputs, name=self.fresh(name), **attributes))
        return outputs[0] if n_outputs == 1 else outputs

    def const(self, value, dtype=None):
        """The initializer holding `value` (an array, made once per array object)."""
        array = np.asarray(value, dtype)
        if id(array) not in self._initialized:
            self._kept.append(array)
            name = self._constant_names.get(id(array)) or self.fresh("const")
            self._initialized[id(array)] = name
            self.initializers.append(numpy_helper.from_array(array, name))
        return self._initialized[id(array)]

    def ints(self, values):
        return self.const(np.array(values, np.int64))

    def input(self, x):
        """The value name of an op's input (an array or tensor, or None for an omitted input):
        a traced value, or a constant, made an initializer."""
        if x is None:
            return ""
        kind, item = self.symbols.resolve(x)
        return item if kind == "value" else self.const(item)

    @staticmethod
    def varying(call, output=0, input=None):
        """Per axis of the call's output `output` (or of its input `input`): whether its size
        changed in the second forward pass, which had another batch size."""
        pick = (lambda c: c.outputs[output]) if input is None else (lambda c: c.inputs[input])
        return [a != b for a, b in zip(pick(call).shape, pick(call.partner).shape)]


class Symbols:
    """What each array seen in one forward pass stands for: ("value", name) for the model's
    inputs and everything computed from them, ("const", array) for the rest."""

    def __init__(self):
        self._table, self._kept = {}, []

    def bind(self, array, entry):
        self._kept.append(array)  # alive, so that its id is not reused
        self._table[id(array)] = entry

    def resolve(self, x):
        x = x._data if isinstance(x, Tensor) else x
        return self._table.get(id(x)) or ("const", np.asarray(x))
