"""Argument checks shared by the text tools, so each error names the function and the value."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..types import ArrayLike


def positive_int(value: Any, name: str, caller: str) -> int:
    """`value` as an int, or a ValueError if it is not a positive integer."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{caller}: {name} must be a positive int, got {value!r}")
    return int(value)


def token_stream(ids: ArrayLike, caller: str) -> np.ndarray:
    """`ids` as a 1-D int64 array, or a ValueError if they are not 1-D integers."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"{caller}: expected a 1-D array of integer token ids, got {ids.dtype} {ids.shape}")
    return ids.astype(np.int64, copy=False)
