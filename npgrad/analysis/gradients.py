"""Gradient flow: how large the gradient is at each layer after a backward pass."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..nn.hooks import RemovableHandle
from ..nn.module import Module
from ..tensor import Tensor


def grad_norms(model: Module, norm_type: float = 2.0, weights_only: bool = True) -> OrderedDict[str, float]:
    """The norm of each parameter's .grad, in the order of model.named_parameters().

    With weights_only=True, biases (and other 1-D parameters) are left out, so the result
    reads as one value per layer: {"layers.0.weight": 0.031, "layers.2.weight": 0.12, ...}.
    Parameters without a gradient are left out. Call it after loss.backward().
    """
    norms = OrderedDict()
    for name, param in model.named_parameters():
        if param.grad is None or (weights_only and param.ndim < 2):
            continue
        norms[name] = float(np.linalg.norm(param.grad._data.ravel().astype(np.float64), ord=norm_type))
    return norms


def activation_recorder(
    modules: Iterable[tuple[str, Module]],
) -> tuple[OrderedDict[str, np.ndarray], list[RemovableHandle]]:
    """Forward hooks that keep each module's latest output: returns (outputs dict, handles).

    outputs[name] is a NumPy array; remove the hooks with `for h in handles: h.remove()`.
    """
    outputs, handles = OrderedDict(), []
    for name, module in modules:

        def keep(module: Module, inputs: tuple[Any, ...], output: Tensor, name: str = name) -> None:
            outputs[name] = output._data

        handles.append(module.register_forward_hook(keep))
    return outputs, handles
