"""Activations h = f(q), applied element by element. Their backward multiplies the arriving
error by f'(q), element by element: that is delta = diag(f'(q)) W^T delta_1 once Linear has
given W^T delta_1."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class ReLUFunction(Function):
    """f(q) = max(0, q), f'(q) = 1 where q > 0, else 0.

    The fast op (npgrad.functional.activation.ReLUFunction) computes the same with np.clip, about
    3x faster than np.maximum on float32, and keeps the output instead of the input."""

    def forward(self, q: np.ndarray) -> np.ndarray:
        self.q = q
        return np.maximum(0, q)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (self.q > 0)  # diag(f'(q)) grad


def sigmoid(q: np.ndarray) -> np.ndarray:
    """f(q) = 1 / (1 + e^-q), as the lecture writes it (the LSTM and GRU steps use it too)."""
    return 1 / (1 + np.exp(-q))


class SigmoidFunction(Function):
    """f(q) = 1 / (1 + e^-q), f'(q) = f(q) (1 - f(q)).

    The fast op (npgrad.functional.activation.SigmoidFunction) is the same formula with the overflow
    warning of e^-q for q < -88 (float32) silenced: the result there is 0, its true limit."""

    def forward(self, q: np.ndarray) -> np.ndarray:
        self.h = sigmoid(q)
        return self.h

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self.h * (1 - self.h)  # diag(f'(q)) grad


class TanhFunction(Function):
    """f(q) = tanh(q) = (e^q - e^-q) / (e^q + e^-q), f'(q) = 1 - f(q)^2.

    The fast op (npgrad.functional.activation.TanhFunction) is the same; it is listed here so that
    the three classic activations sit side by side."""

    def forward(self, q: np.ndarray) -> np.ndarray:
        self.h = np.tanh(q)
        return self.h

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (1 - self.h**2)  # diag(f'(q)) grad
