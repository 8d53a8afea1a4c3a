"""Softmax followed by the cross-entropy loss, as the lecture writes it."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class SoftmaxCrossEntropyFunction(Function):
    """p = softmax(z) = e^z / sum_k e^z_k for each row z of scores (N, C), and
    L = -(1/N) sum_n log p_n[t_n] for the class indices t (N,).

    Backward: dL/dz = (p - onehot(t)) / N, the whole softmax Jacobian folded into one line.
    Subtracting max(z) from z before the exponential changes nothing (it cancels in the ratio)
    and keeps e^z from overflowing.

    The fast op (npgrad.functional.loss.CrossEntropyFunction) also takes class weights, ignore_index,
    label smoothing, the reductions 'none'/'sum', (N, C, d1, ...) scores and probability
    targets, all folded into one backward expression; it never builds the one-hot matrix.
    """

    def forward(self, z: np.ndarray, t: np.ndarray) -> np.floating:
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.p, self.t = e / e.sum(axis=1, keepdims=True), t
        N = len(z)
        return -np.log(self.p[np.arange(N), t]).mean()

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, None]:
        onehot = np.eye(self.p.shape[1], dtype=self.p.dtype)[self.t]
        return grad * (self.p - onehot) / len(self.p), None  # dL/dz = (p - onehot(t)) / N
