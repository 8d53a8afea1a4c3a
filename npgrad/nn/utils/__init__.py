"""Gradient clipping and parameter <-> vector conversion (torch.nn.utils); utils.rnn pads sequences."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ...tensor import Tensor
from ...types import ArrayLike
from . import rnn


def _as_list(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _norm(array, norm_type):
    """The p-norm of all elements of `array` (the max of |x| for p = inf), in its dtype."""
    magnitudes = np.abs(array.ravel())
    if norm_type == math.inf:
        return magnitudes.max(initial=0)
    if norm_type == 2:
        return np.sqrt(np.dot(magnitudes, magnitudes))
    return np.sum(magnitudes**norm_type) ** (1 / norm_type)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """Scale all gradients in place so that their joint p-norm is at most max_norm.

    total = ||(||g_1||_p, ..., ||g_k||_p)||_p, the norm of all gradients as one vector; every
    gradient is multiplied by min(1, max_norm / (total + 1e-6)). Returns total as a Tensor.
    """
    grads = [p.grad._data for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return Tensor(np.zeros((), np.float32))
    norm_type = float(norm_type)
    dtype = np.result_type(*grads)
    total = _norm(np.array([_norm(g, norm_type) for g in grads], dtype), norm_type).astype(dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            "non-finite, so it cannot be clipped; pass error_if_nonfinite=False to "
            "scale the gradients by it anyway"
        )
    scale = np.minimum(max_norm / (total + dtype.type(1e-6)), 1).astype(dtype)
    for g in grads:
        g *= scale
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (a copy)."""
    return Tensor(np.concatenate([p._data.ravel() for p in parameters]))


def vector_to_parameters(vec: Tensor | ArrayLike, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D `vec` into the parameters, in place."""
    values = vec._data if isinstance(vec, Tensor) else np.asarray(vec)
    parameters = list(parameters)
    needed = sum(p._data.size for p in parameters)
    if values.shape != (needed,):
        raise ValueError(f"vector_to_parameters: expected a vector of {needed} elements, got shape {values.shape}")
    start = 0
    for p in parameters:
        p._data[...] = values[start : start + p._data.size].reshape(p.shape)
        start += p._data.size
