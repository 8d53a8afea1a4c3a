"""Factories: zeros, ones, full, arange, eye, rand, randn, ... (PyTorch's names and defaults)."""

from __future__ import annotations

import numpy as np

from . import dtypes
from .devices import check_device
from .random import default_generator, generator_or_default
from .tensor import Tensor
from .types import Number, _device, _dtype, _size


def _shape(size):
    """Accept zeros(2, 3) as well as zeros((2, 3)) and zeros([2, 3])."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _float_dtype(dtype):
    return np.dtype(dtype) if dtype is not None else dtypes.get_default_dtype()


def _new(array, requires_grad, device=None):
    check_device(device)
    return Tensor(array, requires_grad=requires_grad)


def zeros(
    *size: int | _size, dtype: _dtype | None = None, requires_grad: bool = False, device: _device | None = None
) -> Tensor:
    return _new(np.zeros(_shape(size), _float_dtype(dtype)), requires_grad, device)


def ones(
    *size: int | _size, dtype: _dtype | None = None, requires_grad: bool = False, device: _device | None = None
) -> Tensor:
    return _new(np.ones(_shape(size), _float_dtype(dtype)), requires_grad, device)


def empty(
    *size: int | _size, dtype: _dtype | None = None, requires_grad: bool = False, device: _device | None = None
) -> Tensor:
    return _new(np.empty(_shape(size), _float_dtype(dtype)), requires_grad, device)


def full(
    size: int | _size,
    fill_value: Number,
    dtype: _dtype | None = None,
    requires_grad: bool = False,
    device: _device | None = None,
) -> Tensor:
    if dtype is None:
        dtype = (
            np.bool_
            if isinstance(fill_value, bool)
            else (np.int64 if isinstance(fill_value, int) else dtypes.get_default_dtype())
        )
    return _new(np.full(_shape((size,)), fill_value, np.dtype(dtype)), requires_grad, device)


def eye(
    n: int,
    m: int | None = None,
    dtype: _dtype | None = None,
    requires_grad: bool = False,
    device: _device | None = None,
) -> Tensor:
    return _new(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


def arange(
    start: Number,
    end: Number | None = None,
    step: Number = 1,
    dtype: _dtype | None = None,
    requires_grad: bool = False,
    device: _device | None = None,
) -> Tensor:
    """Integers give int64, any float argument gives the default float type (as in PyTorch)."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        all_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if all_int else dtypes.get_default_dtype()
    return _new(np.arange(start, end, step, dtype=np.dtype(dtype)), requires_grad, device)


def linspace(
    start: Number,
    end: Number,
    steps: int,
    dtype: _dtype | None = None,
    requires_grad: bool = False,
    device: _device | None = None,
) -> Tensor:
    return _new(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad, device)


def rand(
    *size: int | _size,
    generator: np.random.Generator | None = None,
    dtype: _dtype | None = None,
    requires_grad: bool = False,
    device: _device | None = None,
) -> Tensor:
    """Uniform on [0, 1), from `generator` (npgrad.Generator) or the global one."""
    dtype = _float_dtype(dtype)
    return _new(generator_or_default(generator).random(_shape(size), dtype=dtype), requires_grad, device)


def randn(
    *size: int | _size,
    generator: np.random.Generator | None = None,
    dtype: _dtype | None = None,
    requires_grad: bool = False,
    device: _device | None = None,
) -> Tensor:
    """Standard normal, from `generator` (npgrad.Generator) or the global one."""
    dtype = _float_dtype(dtype)
    return _new(generator_or_default(generator).standard_normal(_shape(size), dtype=dtype), requires_grad, device)


def randint(
    low: int,
    high: int | _size | None = None,
    size: int | _size = (),
    dtype: _dtype | None = None,
    device: _device | None = None,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Integers in [low, high); randint(high, size) starts at 0."""
    if isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    dtype = np.int64 if dtype is None else dtype
    return _new(generator_or_default(generator).integers(low, high, _shape((size,))).astype(dtype), False, device)


def randint_like(
    other: Tensor,
    low: int = 0,
    high: int | None = None,
    dtype: _dtype | None = None,
    requires_grad: bool = False,
    device: _device | None = None,
) -> Tensor:
    """Integers in [low, high) of other's shape and (by default) dtype; randint_like(x, high)."""
    if high is None:
        low, high = 0, low
    values = default_generator().integers(low, high, other.shape)
    return _new(values.astype(other.dtype if dtype is None else dtype), requires_grad, device)


def randperm(
    n: int, dtype: _dtype | None = None, device: _device | None = None, generator: np.random.Generator | None = None
) -> Tensor:
    return _new(generator_or_default(generator).permutation(n).astype(dtype or np.int64), False, device)


def _like(fill, other, dtype, requires_grad, device=None):
    dtype = other.dtype if dtype is None else dtype
    return _new(fill(np.shape(other._data), dtype), requires_grad, device)


def zeros_like(
    other: Tensor, dtype: _dtype | None = None, requires_grad: bool = False, device: _device | None = None
) -> Tensor:
    return _like(np.zeros, other, dtype, requires_grad, device)


def ones_like(
    other: Tensor, dtype: _dtype | None = None, requires_grad: bool = False, device: _device | None = None
) -> Tensor:
    return _like(np.ones, other, dtype, requires_grad, device)


def empty_like(
    other: Tensor, dtype: _dtype | None = None, requires_grad: bool = False, device: _device | None = None
) -> Tensor:
    return _like(np.empty, other, dtype, requires_grad, device)


def full_like(
    other: Tensor,
    fill_value: Number,
    dtype: _dtype | None = None,
    requires_grad: bool = False,
    device: _device | None = None,
) -> Tensor:
    return _like(lambda shape, d: np.full(shape, fill_value, d), other, dtype, requires_grad, device)


def rand_like(
    other: Tensor, dtype: _dtype | None = None, requires_grad: bool = False, device: _device | None = None
) -> Tensor:
    return rand(*other.shape, dtype=other.dtype if dtype is None else dtype, requires_grad=requires_grad, device=device)


def randn_like(
    other: Tensor, dtype: _dtype | None = None, requires_grad: bool = False, device: _device | None = None
) -> Tensor:
    return randn(
        *other.shape, dtype=other.dtype if dtype is None else dtype, requires_grad=requires_grad, device=device
    )
