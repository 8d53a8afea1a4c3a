"""What the Trainer does differently when it runs as one of N processes (npgrad.distributed
initialized with a world size above 1); with one process every function here is a no-op.

- the model is wrapped in DistributedDataParallel for fit (gradients averaged over ranks);
- a DataLoader becomes this rank's share of the very batches it would make in one process:
  with batch_size B and N processes each rank takes B/N samples of every global batch of B,
  drawn in the same order from the same generator, so a run (and its checkpoints) means the
  same whatever N is; a loader whose sampler is already a DistributedSampler, or such a share,
  is left alone. That holds for fit's loaders and for evaluate's, so N processes evaluate a
  test set in 1/N of the time;
- epoch metrics are sums over every rank's samples, BatchNorm buffers are rank 0's after each
  epoch, and only rank 0 runs the callbacks that print or write files.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import distributed as dist
from ..data import DataLoader, DistributedSampler
from ..data.distributed import GlobalBatchShardSampler
from ..nn.module import Module
from ..tensor import Tensor
from .metrics import WeightedMeans


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def is_main_process() -> bool:
    return not dist.is_initialized() or dist.get_rank() == 0


def wrap_model(model: Module) -> Module:
    from ..nn.parallel import DistributedDataParallel

    if world_size() == 1 or isinstance(model, DistributedDataParallel):
        return model
    return DistributedDataParallel(model)


def unwrap(model: Module) -> Module:
    """The module inside a DistributedDataParallel wrapper (what checkpoints hold)."""
    from ..nn.parallel import DistributedDataParallel

    return model.module if isinstance(model, DistributedDataParallel) else model


def shard_loader(loader: Iterable[Any] | None, training: bool = False) -> Iterable[Any] | None:
    """This rank's share of `loader`'s global batches (see the module docstring)."""
    n = world_size()
    if n == 1 or not isinstance(loader, DataLoader):
        return loader
    if isinstance(loader.sampler, (DistributedSampler, GlobalBatchShardSampler)):  # already shared out
        return loader
    if training and loader.batch_size % n:
        raise ValueError(
            f"Trainer: the training batch size {loader.batch_size} does not split over "
            f"{n} processes; use a multiple of {n}"
        )
    shard = GlobalBatchShardSampler(
        loader.sampler, loader.batch_size, n, dist.get_rank(), drop_last=loader.drop_last, drop_small_last=training
    )
    return DataLoader(
        loader.dataset,
        math.ceil(loader.batch_size / n),
        sampler=shard,
        collate_fn=loader.collate_fn,
        batch_transform=loader.batch_transform,
    )


def reduce_means_(means: WeightedMeans) -> None:
    """Sum a WeightedMeans' sums and sample count over all ranks, in place."""
    if world_size() == 1:
        return
    names = list(means.sums)  # the same order on every rank
    name_counts = Tensor(np.array([len(names), -len(names)], np.int64))
    dist.all_reduce(name_counts, op=dist.ReduceOp.MAX)
    if name_counts._data[0] != -name_counts._data[1]:
        raise RuntimeError("Trainer: a process got no batches; every process needs at least one sample")
    totals = Tensor(np.array([means.sums[name] for name in names] + [means.count], np.float64))
    dist.all_reduce(totals)
    means.sums = dict(zip(names, totals._data[:-1].tolist()))
    means.count = int(totals._data[-1])


def sync_buffers(model: Module) -> None:
    """Every rank takes rank 0's buffers (BatchNorm running statistics)."""
    if world_size() > 1:
        for buffer in unwrap(model).buffers():
            dist.broadcast(buffer, src=0)


def barrier() -> None:
    if world_size() > 1:
        dist.barrier()
