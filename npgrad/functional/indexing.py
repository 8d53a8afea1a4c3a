"""Writing into part of a tensor inside the graph: x[index] = values, out of place."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from ._util import unbroadcast


class IndexPutFunction(Function):
    """y = x with y[index] = v (v broadcast to the indexed shape)."""

    def forward(self, x, values, *, index):
        self.index, self.values_shape = index, values.shape
        out = x.copy()
        out[index] = values
        return out

    def backward(self, grad):
        grad_x = None
        if self.needs_input_grad[0]:
            grad_x = grad.copy()
            grad_x[self.index] = 0  # overwritten elements do not depend on x
        grad_values = None
        if self.needs_input_grad[1]:  # dL/dv = dL/dy[index], summed over v's broadcasting
            selected = np.asarray(grad[self.index])
            missing = len(self.values_shape) - selected.ndim  # NumPy drops v's leading 1s
            grad_values = unbroadcast(selected.reshape((1,) * max(missing, 0) + selected.shape), self.values_shape)
        return grad_x, grad_values


def index_put(x: Tensor, index: Any, values: Tensor) -> Tensor:
    """x with x[index] replaced by `values`, differentiable in both (what `x[index] = values`
    records when either requires grad)."""
    return IndexPutFunction.apply(x, values, index=index)


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """Of a vector, the square matrix of zeros with x on a diagonal (diagonal > 0 above the main
    one, < 0 below); of a matrix, that diagonal as a vector."""
    if x.ndim == 1:
        size = len(x) + builtins.abs(diagonal)
        rows = np.arange(len(x)) + builtins.max(-diagonal, 0)
        return index_put(Tensor(np.zeros((size, size), x.dtype)), (rows, rows + diagonal), x)
    if x.ndim == 2:
        first_row, first_col = builtins.max(-diagonal, 0), builtins.max(diagonal, 0)
        length = builtins.max(0, builtins.min(x.shape[0] - first_row, x.shape[1] - first_col))
        return x[np.arange(length) + first_row, np.arange(length) + first_col]
    raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {tuple(x.shape)}")
