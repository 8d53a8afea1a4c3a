"""Scaled dot-product attention, as the lecture writes it."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function


class AttentionFunction(Function):
    """Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V for queries Q (N, L, d_k), keys
    K (N, S, d_k) and values V (N, S, d_v): every query takes a weighted average of the values,
    weighted by how well it matches each key.

    Backward, with S = Q K^T / sqrt(d_k), P = softmax(S) (rows) and dO = dL/dout:

        dV = P^T dO,   dP = dO V^T,   dS = P * (dP - sum_j dP P)   (the softmax Jacobian),
        dQ = dS K / sqrt(d_k),   dK = dS^T Q / sqrt(d_k)

    The fast op (npgrad.functional.attention.ScaledDotProductAttentionFunction) also takes a boolean or
    additive mask (causal attention), dropout on P, another scale, broadcast batch dims and
    can return P; it computes the softmax in place in the scores' memory and gives a query
    that may attend to nothing zeros instead of NaN.
    """

    def forward(self, Q: np.ndarray, K: np.ndarray, V: np.ndarray) -> np.ndarray:
        self.Q, self.K, self.V = Q, K, V
        self.scale = 1 / math.sqrt(Q.shape[-1])
        S = Q @ K.transpose(0, 2, 1) * self.scale
        e = np.exp(S - S.max(axis=-1, keepdims=True, initial=-np.inf))  # initial: S may have no keys (S = 0)
        self.P = e / e.sum(axis=-1, keepdims=True)
        return self.P @ V

    def backward(self, dO: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        P = self.P
        dV = P.transpose(0, 2, 1) @ dO
        dP = dO @ self.V.transpose(0, 2, 1)
        dS = P * (dP - (dP * P).sum(axis=-1, keepdims=True))
        return dS @ self.K * self.scale, dS.transpose(0, 2, 1) @ self.Q * self.scale, dV
