"""Helpers shared by the op families."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..backends.numba import flat
from ..dtypes import category
from ..tensor import Tensor
from ..types import ArrayLike, Number


BLOCK = 2**16  # numbers per block: a few float32 arrays of this size fit in a core's L2 cache together


def as_rows(x: np.ndarray) -> np.ndarray:
    """(..., n) as an (m, n) matrix; sizes given, since -1 is ambiguous when n or m is 0."""
    return x.reshape(math.prod(x.shape[:-1]), x.shape[-1])


def in_blocks(*arrays: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Matching pieces of the arrays, BLOCK numbers each (1-D views of their memory), for an
    update of many passes: pass after pass over a block that stays in cache, instead of over
    whole arrays in main memory; each number gets the same arithmetic either way. The arrays
    whole when they are small or not laid out alike in one dense block."""
    views = flat(*arrays) if arrays[0].size > BLOCK else None
    if views is None:
        return [arrays]
    return [tuple(view[first : first + BLOCK] for view in views) for first in range(0, arrays[0].size, BLOCK)]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added or stretched, so it has `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    stretched = tuple(extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=tuple(range(extra)) + stretched).reshape(shape)


def operand(value: Tensor | ArrayLike, like: Tensor) -> Tensor:
    """A Python number or array used beside tensor `like`, as a constant tensor.

    Numbers take like's dtype when it is floating (so float32 stays float32); an integer
    tensor meeting a Python float becomes the default floating type, as in PyTorch.
    """
    if isinstance(value, Tensor):
        return value
    from .. import dtypes

    if isinstance(value, np.ndarray) and value.ndim > 0:
        dtype = like.dtype if like.dtype.kind == "f" else None
        return Tensor(np.asarray(value, dtype=dtype))
    if like.dtype.kind == "b" and not isinstance(value, (bool, np.bool_)):
        dtype = dtypes.get_default_dtype() if isinstance(value, (float, np.floating)) else np.int64
    elif like.dtype.kind == "f" or isinstance(value, (bool, np.bool_)):
        dtype = like.dtype
    elif isinstance(value, (float, np.floating)):
        dtype = dtypes.get_default_dtype()
    else:
        dtype = like.dtype
    return Tensor(np.asarray(value, dtype=dtype))


def tensor_pair(a: Tensor | Number, b: Tensor | Number) -> tuple[Tensor, Tensor]:
    """Both operands as tensors (at least one already is) of the dtype PyTorch gives their
    result (result_type); a floating operand that requires grad is cast in the graph."""
    if not isinstance(a, Tensor):
        a = operand(a, b)
    elif not isinstance(b, Tensor):
        b = operand(b, a)
    dtype = result_type(a, b)
    return as_dtype(a, dtype), as_dtype(b, dtype)


def promote_types(*types: np.dtype) -> np.dtype:
    """PyTorch's promotion among operands of equal standing: the highest category wins (an
    integer meeting float32 gives float32, not NumPy's float64); within it, the wider type."""
    top = max(category(d) for d in types)
    return np.result_type(*[d for d in types if category(d) == top])


def result_type(a: Tensor, b: Tensor) -> np.dtype:
    """The dtype of a binary op's result, as PyTorch: a 0-d tensor does not widen a
    dimensioned tensor's dtype within its category (float32 * 0-d float64 -> float32,
    int32 * 0-d int64 -> int32); it decides only when its category is higher."""
    if a.dtype == b.dtype:
        return a.dtype
    if (a.ndim == 0) == (b.ndim == 0):
        return promote_types(a.dtype, b.dtype)
    dimensioned, zero_dim = (b, a) if a.ndim == 0 else (a, b)
    if category(zero_dim.dtype) > category(dimensioned.dtype):
        return zero_dim.dtype
    return dimensioned.dtype


def as_dtype(x: Tensor, dtype: np.dtype) -> Tensor:
    """Tensor x as `dtype`, through the differentiable cast when x requires grad."""
    if x.dtype == dtype:
        return x
    if x.requires_grad:
        from .elementwise import cast

        return cast(x, dtype)
    return Tensor(x._data.astype(dtype))


def check_input_dtype(where: str, input: Tensor, *parameters: Tensor | None) -> None:
    """A layer's input must have its parameters' floating dtype (PyTorch refuses a float64 or
    integer input to a float32 layer instead of computing in another type)."""
    expected = next((p.dtype for p in parameters if p is not None), None)
    if expected is not None and input.dtype != expected:
        model = f" or the model with model.to(npgrad.{input.dtype})" if input.dtype.kind == "f" else ""
        raise TypeError(
            f"{where}: expected input of dtype {expected} (its parameters' dtype), got "
            f"{input.dtype}; convert the input with x.to(npgrad.{expected}){model}"
        )


def normalize_dim(dim: int, ndim: int, name: str = "dim") -> int:
    """A dim (possibly negative) as a non-negative axis, with a clear error when out of range."""
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{name} {dim} is out of range for a tensor with {ndim} dimensions")
    return dim % max(ndim, 1)


def axes(dim: int | Sequence[int] | None, ndim: int) -> int | tuple[int, ...] | None:
    """PyTorch's dim argument (None, int or tuple) as NumPy's axis argument."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(normalize_dim(d, ndim) for d in dim)
    return normalize_dim(dim, ndim)
