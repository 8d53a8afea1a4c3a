"""Batch normalisation and layer normalisation of (N, D) activations, as the lecture writes them.
Both compute x_hat = (x - mu) / sqrt(var + eps) and y = gamma x_hat + beta; they differ only in
which axis mu and var are taken over: the batch (axis 0) or the features (axis 1)."""

from __future__ import annotations

import numpy as np

from ..autograd import Function

EPS = 1e-5


def _normalize_forward(
    fn: Function, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, axis: int | tuple[int, ...]
) -> np.ndarray:
    mu = x.mean(axis=axis, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axis, keepdims=True)  # biased: divide by m, not m - 1
    fn.inv_std = 1 / np.sqrt(var + EPS)
    fn.x_hat, fn.gamma, fn.axis = (x - mu) * fn.inv_std, gamma, axis
    return gamma * fn.x_hat + beta


def _normalize_backward(fn: Function, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dL/dx, dL/dgamma, dL/dbeta by the formulas in BatchNormFunction's docstring, with the sums and
    m along fn.axis; inv_std = 1 / sqrt(var + eps)."""
    x_hat, axis = fn.x_hat, fn.axis
    m = x_hat.shape[axis]
    dx_hat = fn.gamma * dy
    dx = (
        fn.inv_std
        / m
        * (m * dx_hat - dx_hat.sum(axis=axis, keepdims=True) - x_hat * (dx_hat * x_hat).sum(axis=axis, keepdims=True))
    )
    return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)  # dL/dgamma = sum dy x_hat, dL/dbeta = sum dy


class BatchNormFunction(Function):
    """Batch normalisation in training mode, for every feature over the m = N samples (axis 0):

        mu = mean(x),  var = mean((x - mu)^2),  x_hat = (x - mu) / sqrt(var + eps),
        y = gamma x_hat + beta,  eps = 1e-5
        dL/dx = (1/m) (1 / sqrt(var + eps)) (m dx_hat - sum dx_hat - x_hat sum(dx_hat x_hat)),
        dx_hat = gamma dL/dy,  dL/dgamma = sum dL/dy x_hat,  dL/dbeta = sum dL/dy

    dL/dx has three terms because mu and var depend on every x of the batch too.

    The fast op (npgrad.functional.normalization.BatchNormFunction) also normalises (N, C, L) and
    (N, C, H, W) maps per channel, updates running_mean and running_var and uses them in
    evaluation mode, makes weight and bias optional, and reuses the arrays it allocates.
    """

    def forward(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
        return _normalize_forward(self, x, gamma, beta, axis=0)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _normalize_backward(self, dy)


class LayerNormFunction(Function):
    """Layer normalisation: the formulas of BatchNormFunction, with mu and var taken for every sample
    over its m = D features (axis 1) instead of over the batch.

    The fast op (npgrad.functional.normalization.LayerNormFunction) normalises over any number of
    trailing dims (normalized_shape), makes weight and bias optional, and reuses its arrays.
    """

    def forward(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
        return _normalize_forward(self, x, gamma, beta, axis=1)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _normalize_backward(self, dy)
