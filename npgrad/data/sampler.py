"""Samplers: the order in which a DataLoader visits the indices of its dataset."""

from __future__ import annotations

from collections.abc import Iterator, Sequence, Sized

import numpy as np

from .. import random
from ..types import _generator
from . import _rng


class Sampler:
    """Iterating a sampler yields dataset indices; len() is how many it yields per epoch.
    Subclasses define indices(), which returns one epoch's indices as an int64 array."""

    def indices(self) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define indices()")

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1, in order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __len__(self) -> int:
        return len(self.data_source)

    def indices(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)


class RandomSampler(Sampler):
    """A fresh random permutation every epoch; with replacement=True, `num_samples` indices
    drawn independently (useful to sample random windows of a long text)."""

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: _generator | None = None,
    ) -> None:
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples must be a positive int, got {num_samples!r}")
        if num_samples is not None and not replacement:
            raise ValueError("RandomSampler: num_samples needs replacement=True")
        self.data_source = data_source
        self.replacement = replacement
        self.num_samples = num_samples
        self.generator = _rng.seeded(generator)

    def __len__(self) -> int:
        return self.num_samples if self.num_samples is not None else len(self.data_source)

    def indices(self) -> np.ndarray:
        rng = _rng.current(self.generator)
        n = len(self.data_source)
        if self.replacement:
            return rng.integers(0, n, size=len(self), dtype=np.int64)
        return rng.permutation(n).astype(np.int64, copy=False)


class SubsetRandomSampler(Sampler):
    """The given indices in a fresh random order every epoch."""

    def __init__(self, indices: Sequence[int] | np.ndarray, generator: _generator | None = None) -> None:
        self.subset = np.asarray(indices, dtype=np.int64).reshape(-1)
        self.generator = _rng.seeded(generator)

    def __len__(self) -> int:
        return len(self.subset)

    def indices(self) -> np.ndarray:
        return _rng.current(self.generator).permutation(self.subset)


class WeightedRandomSampler(Sampler):
    """num_samples indices drawn with probabilities proportional to `weights` (one weight per
    example, not necessarily summing to 1), with replacement by default: a class that is rare
    in the data can be drawn as often as a common one by weighting its examples up."""

    def __init__(
        self,
        weights: Sequence[float] | np.ndarray,
        num_samples: int,
        replacement: bool = True,
        generator: _generator | None = None,
    ) -> None:
        self.weights = np.asarray(getattr(weights, "_data", weights), dtype=np.float64).reshape(-1)
        if not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples must be a positive int, got {num_samples!r}")
        self.num_samples, self.replacement = num_samples, replacement
        self.generator = _rng.seeded(generator)

    def __len__(self) -> int:
        return self.num_samples

    def indices(self) -> np.ndarray:
        drawn = random.multinomial(self.weights, self.num_samples, self.replacement, _rng.current(self.generator))
        return drawn.numpy()
