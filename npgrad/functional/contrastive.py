"""Contrastive losses: nt_xent, SimCLR's normalized temperature-scaled cross-entropy, one fused
Function with a hand-written backward.

For two views z1, z2 (N, D) of the same N samples, the 2N rows z = [z1; z2] are made unit
vectors u, their cosine similarities s = u u^T / t are scored, and row i's loss is the
cross-entropy of picking its other view among the 2N - 1 other rows:

    loss_i = -s[i, pos(i)] + log sum_{k != i} exp s[i, k],   pos(i) = i + N (mod 2N)

averaged over the 2N rows (Chen et al., 2020).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .activation import _check_floating, _softmax_parts


class NTXentFunction(Function):
    """Mean NT-Xent loss of the 2N rows of [z1; z2]; keeps the unit vectors, their norms and
    the softmax over each row's similarities for the backward."""

    def forward(self, z1, z2, *, temperature, eps):
        z = np.concatenate([z1, z2])
        self.norm = np.maximum(np.linalg.norm(z, axis=1, keepdims=True), eps)
        self.unit = z / self.norm
        scores = self.unit @ self.unit.T / temperature
        np.fill_diagonal(scores, -np.inf)  # a row is never its own candidate
        shifted, exp, total = _softmax_parts(scores, axis=1)
        self.probs, self.temperature, rows = exp / total, temperature, len(z)
        self.positive = (np.arange(rows) + rows // 2) % rows
        losses = np.log(total[:, 0]) - shifted[np.arange(rows), self.positive]
        return np.asarray(losses.mean(), dtype=z.dtype)

    def backward(self, grad):
        rows = len(self.unit)
        # dL/ds = (softmax(s) - onehot(pos)) / 2N, row by row
        grad_scores = self.probs * (grad / rows)
        grad_scores[np.arange(rows), self.positive] -= grad / rows
        # s = u u^T / t: dL/du = (G + G^T) u / t
        grad_unit = (grad_scores + grad_scores.T) @ self.unit / self.temperature
        # u = z / |z|: dL/dz = (dL/du - u (u . dL/du)) / |z|
        grad_z = (grad_unit - self.unit * (self.unit * grad_unit).sum(axis=1, keepdims=True)) / self.norm
        return grad_z[: rows // 2], grad_z[rows // 2 :]


def nt_xent(z1: Tensor, z2: Tensor, temperature: float = 0.5, eps: float = 1e-12) -> Tensor:
    """SimCLR's contrastive loss for two views z1, z2 (N, D) of the same N samples: the mean over
    the 2N rows of the cross-entropy of finding each row's other view among the other 2N - 1 by
    cosine similarity / temperature."""
    for name, z in (("z1", z1), ("z2", z2)):
        _check_floating(f"nt_xent {name}", z)
        if z.ndim != 2:
            raise ValueError(f"nt_xent: expected {name} of shape (N, D), got {tuple(z.shape)}")
    if tuple(z1.shape) != tuple(z2.shape) or z1.shape[0] < 1:
        raise ValueError(
            f"nt_xent: expected z1 and z2 of one shape (N, D), N >= 1, got {tuple(z1.shape)} and {tuple(z2.shape)}"
        )
    if not temperature > 0:
        raise ValueError(f"nt_xent: temperature must be positive, got {temperature}")
    return NTXentFunction.apply(z1, z2, temperature=float(temperature), eps=float(eps))
