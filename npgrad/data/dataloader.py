"""DataLoader: iterate over a dataset in (shuffled) batches of Tensors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..types import _generator
from .collate import to_tensors
from .dataset import Dataset, fetch_batch
from .sampler import RandomSampler, Sampler, SequentialSampler


class DataLoader:
    """Batches of `batch_size` samples from `dataset`, as npgrad Tensors.

    shuffle: a new random order every epoch, drawn from `generator` (a numpy Generator, an
        int seed, or None for npgrad's global generator, which npgrad.manual_seed resets), so
        runs repeat exactly.
    sampler: any iterable of indices (e.g. SubsetRandomSampler) instead of shuffle.
    drop_last: leave out the last batch when it would be smaller than batch_size.
    collate_fn: turns the list of samples of a batch into the batch. By default the samples
        are stacked (see default_collate) and, when the dataset has get_batch(indices) — as
        TensorDataset, Subset and npgrad.datasets do — a whole batch is fetched with one fancy
        index instead of a loop over its items.
    batch_transform: a function applied to the inputs of every batch (the first element of a
        tuple batch, else the whole batch) as a NumPy array, before it becomes a Tensor; use it
        for augmentation with npgrad.data.transforms, e.g.
        DataLoader(train, 128, shuffle=True, batch_transform=RandomCrop(28, padding=2)).
    num_workers, pin_memory, persistent_workers, prefetch_factor, timeout, worker_init_fn:
        accepted for PyTorch code; npgrad loads every batch in the main process (num_workers
        must still be >= 0), and there is no device memory to pin.
    """

    def __init__(
        self,
        dataset: Dataset | Sequence[Any],
        batch_size: int = 1,
        shuffle: bool = False,
        sampler: Sampler | Iterable[int] | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        drop_last: bool = False,
        generator: _generator | None = None,
        *,
        num_workers: int = 0,
        pin_memory: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        batch_transform: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        if not isinstance(num_workers, (int, np.integer)) or isinstance(num_workers, bool) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if sampler is not None and shuffle:
            raise ValueError(
                "DataLoader: sampler and shuffle=True are mutually exclusive; shuffle inside the sampler instead"
            )
        if collate_fn is not None and batch_transform is not None:
            raise ValueError(
                "DataLoader: batch_transform works on the default collation; "
                "with your own collate_fn, transform the batch there"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.batch_transform = batch_transform
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        order = _epoch_indices(self.sampler)
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            yield self._batch(order[start : start + self.batch_size])

    def _batch(self, indices: np.ndarray) -> Any:
        if self.collate_fn is not None:
            return self.collate_fn([self.dataset[int(i)] for i in indices])
        batch = fetch_batch(self.dataset, indices)
        if self.batch_transform is not None:
            batch = _map_inputs(self.batch_transform, batch)
        return to_tensors(batch)


def _epoch_indices(sampler: Sampler | Iterable[int]) -> np.ndarray:
    if hasattr(sampler, "indices"):
        return np.asarray(sampler.indices(), dtype=np.int64)
    return np.fromiter(sampler, dtype=np.int64)


def _map_inputs(function: Callable[[Any], Any], batch: Any) -> Any:
    if isinstance(batch, (tuple, list)):
        return type(batch)([function(batch[0]), *batch[1:]])
    return function(batch)
