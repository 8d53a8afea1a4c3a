"""Keras utilities: to_categorical, and clear_session (restart the numbering of layer names)."""

from __future__ import annotations

import numpy as np

from ..types import ArrayLike, _dtype
from .engine import clear_session  # noqa: F401


def to_categorical(y: ArrayLike, num_classes: int | None = None, dtype: _dtype = "float32") -> np.ndarray:
    """One-hot rows from integer class labels: to_categorical([0, 2], 3) -> [[1, 0, 0], [0, 0, 1]].
    num_classes defaults to the largest label + 1; labels of shape (N, 1) count as (N,)."""
    labels = np.asarray(y)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
        raise ValueError("to_categorical: expected integer class labels, got fractional values")
    labels = labels.astype(np.int64)
    num_classes = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"to_categorical: labels must be in 0..{num_classes - 1}, got {labels.min()}..{labels.max()}")
    return np.eye(num_classes, dtype=dtype)[labels]
