"""Max pooling, as the lecture writes it."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class MaxPool2dFunction(Function):
    """y[n, c, r, s] = max over the k x k window of x starting at (k r, k s): windows side by
    side (stride k), no padding. Backward: the gradient of each window goes to the pixel that
    held its maximum (the first one if several tie), every other pixel gets 0.

    Loops run over the k x k offsets of the window, never over pixels. The fast op
    (npgrad.functional.pooling.MaxPoolFunction) keeps the winning offset in the smallest integer type
    instead of a stack of all k x k candidates (memory), writes into the input's memory layout,
    and takes stride, padding, dilation, ceil_mode and overlapping windows.
    """

    def forward(self, x: np.ndarray, *, k: int) -> np.ndarray:
        OH, OW = x.shape[2] // k, x.shape[3] // k
        self.views = [np.s_[:, :, i : OH * k : k, j : OW * k : k] for i in range(k) for j in range(k)]
        candidates = np.stack([x[view] for view in self.views])  # (k*k, N, C, OH, OW)
        self.argmax, self.x_shape = candidates.argmax(axis=0), x.shape
        return candidates.max(axis=0)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        dx = np.zeros(self.x_shape, grad.dtype)
        for m, view in enumerate(self.views):
            dx[view] = grad * (self.argmax == m)  # only the window's maximum gets dL/dy
        return dx
