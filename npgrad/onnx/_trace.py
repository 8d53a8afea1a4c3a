"""Recording one forward pass: every Function application, and every call of a module that is
exported whole (a "leaf", such as nn.LSTM), in the order they run.

While `record` is active, Function.apply and Module.__call__ are wrapped: each op that runs
adds a Call (the op, its inputs and options, its output tensors and the name of the module
it ran in) to the list. Inside a leaf module nothing more is recorded: its converter exports
it from its parameters. The wrappers are removed when the block ends, even on an error.
"""

import contextlib
import inspect

import numpy as np

from ..autograd import Function
from ..nn.module import Module
from ..tensor import Tensor


class Call:
    """One recorded operation. For a Function: `op` is its class, `inputs` its positional
    inputs, `options` its keyword options. For a leaf module: `op` is the module, `inputs`
    every tensor and array among its arguments, `options` the other arguments, and
    `arguments` all of them by name. Tensors among the inputs and outputs are kept as their
    arrays at the time of the call: an in-place op later gives a tensor another array."""

    def __init__(self, op, inputs, options, outputs, scope, arguments=None):
        self.op, self.inputs, self.options, self.outputs = op, inputs, options, outputs
        self.scope, self.arguments = scope, arguments
        self.partner = None  # the same call in the second forward pass (see _export.py)

    @property
    def name(self):
        return self.op.__name__ if isinstance(self.op, type) else type(self.op).__name__

    def where(self):
        return f"{self.name} in module {self.scope!r}" if self.scope else self.name


def leaves(value):
    """The non-container items of nested tuples, lists and dicts, in order."""
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in leaves(item)]
    if isinstance(value, dict):
        return leaves(list(value.values()))
    return [value]


def tensors(value):
    return [leaf for leaf in leaves(value) if isinstance(leaf, Tensor)]


def arrays(values):
    """Tensors replaced by their arrays."""
    return [x._data if isinstance(x, Tensor) else x for x in values]


def _is_array(x):
    return isinstance(x, (Tensor, np.ndarray))


def _module_call(module, args, kwargs, output, scope):
    """The Call of a leaf module: its tensor arguments are the inputs, the others the options."""
    arguments = inspect.signature(module.forward).bind(*args, **kwargs).arguments
    inputs = arrays(x for x in leaves(list(arguments.values())) if _is_array(x))
    options = {name: value for name, value in arguments.items() if not any(map(_is_array, leaves(value)))}
    return Call(module, inputs, options, arrays(tensors(output)), scope, arguments)


@contextlib.contextmanager
def record(model, is_leaf):
    """with record(model, is_leaf) as calls: run the model; `calls` lists what ran."""
    module_names = {id(module): name or type(module).__name__ for name, module in model.named_modules()}
    calls, scopes, inside_leaf = [], [], [0]
    original_apply, original_call = Function.__dict__["apply"], Module.__call__

    def apply(cls, *inputs, **options):
        output = original_apply.__func__(cls, *inputs, **options)
        if not inside_leaf[0]:
            calls.append(Call(cls, arrays(inputs), options, arrays(tensors(output)), scopes[-1] if scopes else ""))
        return output

    def call(module, *args, **kwargs):
        leaf = not inside_leaf[0] and is_leaf(module)
        scopes.append(module_names.get(id(module), type(module).__name__))
        inside_leaf[0] += leaf
        try:
            output = original_call(module, *args, **kwargs)
        finally:
            inside_leaf[0] -= leaf
            scope = scopes.pop()
        if leaf:
            calls.append(_module_call(module, args, kwargs, output, scope))
        return output

    Function.apply, Module.__call__ = classmethod(apply), call
    try:
        yield calls
    finally:
        Function.apply, Module.__call__ = original_apply, original_call
