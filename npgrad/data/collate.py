"""Turning a list of samples into one batch: stack the arrays, then wrap them as Tensors."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import dtypes
from ..tensor import Tensor, from_numpy
from ..types import ArrayLike


def standard_dtype(array: ArrayLike) -> np.ndarray:
    """`array` in the dtype a model expects: floats in the default float type (float32),
    integers as int64 (PyTorch's long, what losses take as class labels). uint8 (image bytes)
    and bool stay as they are. No copy when the dtype is already right."""
    array = np.asarray(array)
    if array.dtype.kind == "f":
        return array.astype(dtypes.get_default_dtype(), copy=False)
    if array.dtype.kind in "iu" and array.dtype != np.uint8:
        return array.astype(np.int64, copy=False)
    return array


def stack_samples(samples: Sequence[Any]) -> Any:
    """Stack a list of samples field by field: arrays, Tensors and numbers become one array
    with a new leading batch axis; tuples, lists and dicts are stacked recursively; strings
    are kept as a list."""
    first = samples[0]
    if isinstance(first, (Tensor, np.ndarray)):
        return _stack_arrays([np.asarray(s._data if isinstance(s, Tensor) else s) for s in samples])
    if isinstance(first, (numbers.Number, np.generic)):
        return np.array(samples)
    if isinstance(first, str):
        return list(samples)
    if isinstance(first, Mapping):
        return {key: stack_samples([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError(
                f"default_collate: every sample must have {len(first)} fields, "
                f"got lengths {sorted({len(s) for s in samples})}"
            )
        return type(first)(stack_samples(list(field)) for field in zip(*samples))
    raise TypeError(
        f"default_collate: cannot batch samples of type {type(first).__name__}; "
        "expected arrays, Tensors, numbers, strings, or tuples/lists/dicts of them "
        "(or pass your own collate_fn)"
    )


def _stack_arrays(arrays: list[np.ndarray]) -> np.ndarray:
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(
            f"default_collate: samples have different shapes {sorted(shapes)}; "
            "pad them to one shape or pass a collate_fn that does"
        )
    return np.stack(arrays)


def to_tensors(batch: Any) -> Any:
    """Every array in a (possibly nested) batch as a Tensor in its standard dtype."""
    if isinstance(batch, np.ndarray):
        return from_numpy(standard_dtype(batch))
    if isinstance(batch, Mapping):
        return {key: to_tensors(value) for key, value in batch.items()}
    if isinstance(batch, tuple):
        return tuple(to_tensors(value) for value in batch)
    if isinstance(batch, list) and not (batch and isinstance(batch[0], str)):
        return [to_tensors(value) for value in batch]
    return batch


def default_collate(samples: Sequence[Any]) -> Any:
    """The DataLoader's default: a list of samples -> one batch of Tensors (see stack_samples
    for the structure and standard_dtype for the dtypes)."""
    return to_tensors(stack_samples(samples))
