"""DistributedSampler: each of `num_replicas` processes visits its own share of the dataset."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence, Sized

import numpy as np

from .dataloader import _epoch_indices
from .sampler import Sampler


def _default(value: int | None, getter: Callable[[], int], name: str) -> int:
    if value is not None:
        return value
    from .. import distributed as dist

    if not dist.is_initialized():
        raise RuntimeError(f"DistributedSampler: pass {name}= or call npgrad.distributed.init_process_group() first")
    return getter()


class DistributedSampler(Sampler):
    """Rank `rank` of `num_replicas` gets indices rank, rank + num_replicas, ... of one epoch's
    order (PyTorch's semantics): shuffled with seed + epoch when `shuffle` (call set_epoch
    before every epoch; NumPy's permutation, not torch's), then padded by repeating its first
    indices so that every rank gets the same number, or, with drop_last, cut to a multiple of
    num_replicas. Every rank must use the same seed."""

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        from .. import distributed as dist

        num_replicas = _default(num_replicas, dist.get_world_size, "num_replicas")
        rank = _default(rank, dist.get_rank, "rank")
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive int, got {num_replicas!r}")
        if not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(
                f"DistributedSampler: Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Shuffle differently in each epoch (the same way on every rank)."""
        self.epoch = epoch

    def indices(self) -> np.ndarray:
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n).astype(np.int64)
        else:
            order = np.arange(n, dtype=np.int64)
        if self.total_size > n:  # pad with the first indices, repeated as often as needed
            order = np.resize(order, self.total_size)
        return order[self.rank : self.total_size : self.num_replicas]


class GlobalBatchShardSampler(Sampler):
    """Rank `rank`'s part of every global batch that `sampler` makes in one epoch: the epoch's
    order is cut into batches of `global_batch_size` and each is split into `num_replicas`
    consecutive parts (as equal as possible). Every rank draws the same order from the same
    generator, so N processes see, step by step, the very batches one process would; with
    drop_last the last, smaller batch is left out; with drop_small_last it is left out only when
    it has fewer samples than there are ranks (so that no rank is left without a batch)."""

    def __init__(
        self,
        sampler: Sampler | Sequence[int],
        global_batch_size: int,
        num_replicas: int,
        rank: int,
        drop_last: bool = False,
        drop_small_last: bool = False,
    ) -> None:
        if not 0 <= rank < num_replicas:
            raise ValueError(
                f"GlobalBatchShardSampler: Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.sampler, self.global_batch_size = sampler, global_batch_size
        self.num_replicas, self.rank = num_replicas, rank
        self.drop_last, self.drop_small_last = drop_last, drop_small_last

    def _global_batches(self, n: int) -> list[tuple[int, int]]:
        """(start, stop) of every global batch of an epoch of n indices that is kept."""
        starts = range(0, n, self.global_batch_size)
        spans = [(start, min(start + self.global_batch_size, n)) for start in starts]
        if spans and spans[-1][1] - spans[-1][0] < self.global_batch_size:
            smallest = self.num_replicas if self.drop_small_last else 1
            if self.drop_last or spans[-1][1] - spans[-1][0] < smallest:
                spans.pop()
        return spans

    def __len__(self) -> int:
        return sum(
            len(range(start, stop)[self._part(stop - start)]) for start, stop in self._global_batches(len(self.sampler))
        )

    def _part(self, size: int) -> slice:
        """This rank's slice of a global batch of `size`: the parts differ by at most one."""
        base, extra = divmod(size, self.num_replicas)
        start = self.rank * base + min(self.rank, extra)
        return slice(start, start + base + (self.rank < extra))

    def indices(self) -> np.ndarray:
        order = _epoch_indices(self.sampler)
        parts = [order[start:stop][self._part(stop - start)] for start, stop in self._global_batches(len(order))]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)
