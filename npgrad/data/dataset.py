"""Datasets: anything with __len__ and __getitem__, plus views that wrap, slice and join them.

A dataset may also define `get_batch(indices)`, returning the samples at an integer array of
indices already stacked (a tuple of arrays). The DataLoader then fetches a whole batch with
one fancy index instead of a Python loop over the items.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor, from_numpy
from ..types import ArrayLike, _generator
from . import _rng
from .collate import stack_samples, standard_dtype


class Dataset:
    """The base class: subclasses define __getitem__(index) and __len__()."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of the given tensors or arrays: dataset[i] = (t[i] for t in tensors).

    NumPy arrays are wrapped without a copy when their dtype is already standard (float32,
    int64, uint8, bool); float64 becomes float32 and other integers int64, once, here.
    """

    def __init__(self, *tensors: Tensor | ArrayLike) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor or array")
        self.tensors = tuple(t if isinstance(t, Tensor) else from_numpy(standard_dtype(t)) for t in tensors)
        lengths = [t.shape[0] if t.ndim else None for t in self.tensors]
        if None in lengths or len(set(lengths)) > 1:
            raise ValueError(
                "TensorDataset: every tensor needs the same first dimension, got "
                f"shapes {[tuple(t.shape) for t in self.tensors]}"
            )

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(t._data[indices] for t in self.tensors)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices: np.ndarray) -> Any:
        return fetch_batch(self.dataset, self.indices[indices])


class ConcatDataset(Dataset):
    """Several datasets one after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: expected at least one dataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"ConcatDataset: index {index} out of range for length {len(self)}")
        which = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def fetch_batch(dataset: Dataset, indices: np.ndarray) -> Any:
    """The samples at `indices` stacked into arrays: one dataset.get_batch(indices) call when
    the dataset has that method, else one dataset[i] per index."""
    get_batch = getattr(dataset, "get_batch", None)
    if get_batch is not None:
        return get_batch(indices)
    return stack_samples([dataset[int(i)] for i in indices])


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator: _generator | None = None) -> list[Subset]:
    """Split `dataset` into non-overlapping random Subsets of the given lengths.

    `lengths` are counts that sum to len(dataset), or fractions that sum to 1 (each gets the
    floor of its share, and the left-over items go one each to the first subsets, as in
    PyTorch). `generator`: a numpy Generator, an int seed, or None for npgrad's global one.
    """
    lengths = _split_lengths(len(dataset), list(lengths))
    order = _rng.current(_rng.seeded(generator)).permutation(len(dataset))
    bounds = np.cumsum([0] + lengths)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def _split_lengths(total: int, lengths: list[int | float]) -> list[int]:
    if all(isinstance(n, (int, np.integer)) for n in lengths):
        if sum(lengths) != total or min(lengths) < 0:
            raise ValueError(
                f"random_split: lengths {lengths} must be non-negative and sum to the dataset's length {total}"
            )
        return [int(n) for n in lengths]
    if not (math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and min(lengths) >= 0):
        raise ValueError(f"random_split: fractions {lengths} must be non-negative and sum to 1")
    counts = [math.floor(total * f) for f in lengths]
    for i in range(total - sum(counts)):
        counts[i % len(counts)] += 1
    return counts
