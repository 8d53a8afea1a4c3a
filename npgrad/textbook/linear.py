"""The linear (fully connected) layer, as the lecture writes it."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class LinearFunction(Function):
    """q = W x + b for every sample x (a row of the batch X, so the batch is Q = X W^T + b).

    Backward, with delta_1 = dL/dq the error arriving from above:

        dL/dx = W^T delta_1   for each sample
        dL/dW = delta_1 x^T   summed over the batch
        dL/db = delta_1       summed over the batch

    The activation below multiplies dL/dx by f'(q) element by element, which gives the
    lecture's delta = diag(f'(q)) W^T delta_1 for the layer below.

    The fast op (npgrad.functional.linalg.LinearFunction) takes any (..., in) input and an optional
    bias and folds the leading dims into one GEMM; the products are the same.
    """

    def forward(self, X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.X, self.W = X, W
        return X @ W.T + b  # row n: W x_n + b

    def backward(self, delta_1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dX = delta_1 @ self.W  # row n: W^T delta_1
        dW = delta_1.T @ self.X  # sum over n of delta_1 x_n^T
        db = delta_1.sum(axis=0)  # sum over n of delta_1
        return dX, dW, db
