"""Data types (NumPy's) under PyTorch's names, and the default floating type."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .types import _dtype

float16 = half = np.float16
float32 = float = np.float32
float64 = double = np.float64
int8 = np.int8
int16 = short = np.int16
int32 = int = np.int32
int64 = long = np.int64
uint8 = np.uint8
bool = np.bool_

_default_dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The floating type used when none is given (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: _dtype) -> None:
    """Set the floating type of new tensors and parameters: float32 or float64."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating type, got {dtype}")
    _default_dtype = dtype


def category(dtype: _dtype) -> builtins.int:
    """0 for bool, 1 for integers, 2 for floating types: PyTorch's promotion categories."""
    return {"b": 0, "u": 1, "i": 1, "f": 2}[np.dtype(dtype).kind]


def is_floating(dtype: _dtype) -> builtins.bool:
    return np.dtype(dtype).kind == "f"


def to_array(data: Any, dtype: _dtype | None = None) -> np.ndarray:
    """Copy `data` into a new ndarray. Without a dtype, NumPy arrays and scalars and tensors
    keep theirs; Python floats take the default floating type (float32), as in PyTorch."""
    keeps_dtype = isinstance(data, (np.ndarray, np.generic)) or hasattr(data, "_data")
    data = getattr(data, "_data", data)
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype))
    array = np.array(data)
    if array.dtype.kind == "f" and not keeps_dtype:
        return array.astype(_default_dtype, copy=False)
    if array.dtype.kind in "iubf":
        return array
    raise TypeError(f"tensor(): unsupported data type {array.dtype}")
