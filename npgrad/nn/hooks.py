"""Module hooks: removable handles, and the machinery behind full backward hooks.

A full backward hook is `hook(module, grad_input, grad_output)`, called once per call of
the module during backward, where

- grad_output[j] is d loss / d output_j for each output of the module (a tensor or the
  top-level tensors of a tuple): None for outputs that do not require grad, zeros for one
  that got no gradient while another output did, and
- grad_input[i] is d loss / d args[i] for each positional argument of the call: the total
  gradient flowing out of the module into that argument, summed over every use of it inside
  forward. It is None for arguments that are not tensors requiring grad. Keyword arguments
  and the module's own parameters are not included (as in PyTorch).

The hook may return a new grad_input tuple, which then flows on to the rest of the graph.

How: the tensor arguments are passed through an identity Function (`_TapFunction`) before forward
and the outputs through another one after it. The output tap's backward receives every
grad_output at once; the input tap's backward runs after everything inside the module has
been differentiated, so it receives the complete grad_input, calls the hooks and returns
their replacement. When no argument requires grad, the hooks run from the output tap with
grad_input all None.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor import Tensor

_next_hook_id = itertools.count()


class RemovableHandle:
    """Returned by register_*_hook; `handle.remove()` unregisters the hook (also on `with` exit)."""

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self.hooks = hooks
        self.id = next(_next_hook_id)

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


class _TapFunction(Function):
    """Identity on several tensors; backward hands their gradients to `on_grads`, which returns
    the gradients to pass on."""

    def forward(self, *arrays, on_grads):
        self.on_grads = on_grads
        return arrays

    def backward(self, *grads):
        return self.on_grads(grads)


def _tap(values, on_grads):
    """`values` (a tuple) with every tensor that requires grad routed through one _TapFunction; also
    returns the positions of the tapped tensors."""
    positions = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    if not positions:
        return values, positions
    tapped = list(values)
    for i, t in zip(positions, _TapFunction.apply(*(values[i] for i in positions), on_grads=on_grads)):
        tapped[i] = t
    return tuple(tapped), positions


def _spread(grads, positions, length):
    """Gradients of the tapped positions as a tuple of `length` Tensors, None elsewhere."""
    spread = [None] * length
    for i, g in zip(positions, grads):
        spread[i] = Tensor(g)
    return tuple(spread)


class BackwardHookCall:
    """The full backward hooks of one call of `module` (a fresh object for every call)."""

    def __init__(self, module: Any, hooks: dict[int, Callable[..., Any]]) -> None:
        self.module, self.hooks = module, hooks
        self.n_args, self.input_positions = 0, []
        self.n_outputs, self.output_positions = 0, []
        self.grad_output = ()

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        self.n_args = len(args)
        args, self.input_positions = _tap(args, self._input_grads_ready)
        return args

    def wrap_outputs(self, output: Any) -> Any:
        """Tap a tensor output or the tensors of a tuple output; other outputs pass unchanged."""
        single = isinstance(output, Tensor)
        if not (single or isinstance(output, tuple)):
            return output
        outputs = (output,) if single else output
        self.n_outputs = len(outputs)
        outputs, self.output_positions = _tap(outputs, self._output_grads_ready)
        return outputs[0] if single else outputs

    def _output_grads_ready(self, grads):
        self.grad_output = _spread(grads, self.output_positions, self.n_outputs)
        if not self.input_positions:
            self._run_hooks((None,) * self.n_args)
        return grads

    def _input_grads_ready(self, grads):
        grad_input = self._run_hooks(_spread(grads, self.input_positions, self.n_args))
        return tuple(_as_array(grad_input[i], like) for i, like in zip(self.input_positions, grads))

    def _run_hooks(self, grad_input):
        for hook in list(self.hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is None:
                continue
            result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
            if len(result) != len(grad_input):
                raise ValueError(
                    f"backward hook of {type(self.module).__name__} returned "
                    f"{len(result)} gradients, expected {len(grad_input)}"
                )
            grad_input = result
        return grad_input


def _as_array(grad, like):
    """A hook's replacement gradient as an ndarray shaped and typed like the original."""
    if grad is None:
        return None
    array = np.asarray(grad._data if isinstance(grad, Tensor) else grad, dtype=like.dtype)
    if array.shape != like.shape:
        raise ValueError(f"backward hook returned a gradient of shape {array.shape}, expected {like.shape}")
    return array
