"""DistributedDataParallel: every rank holds the whole model and trains on its share of the
batch; after backward every rank holds the gradient averaged over ranks, so the identical
optimizer steps keep the replicas identical.

    dist.init_process_group(backend="mpi")
    model = DistributedDataParallel(model)      # rank 0's parameters and buffers everywhere
    loss_fn(model(x_local), y_local).backward() # gradients averaged across ranks
    optimizer.step()

How the averaging overlaps backward: parameters are put in buckets (flat buffers of up to
`bucket_cap_mb`), in reverse registration order, roughly the order backward reaches them.
A post-accumulate-grad hook on each parameter counts it ready; when a bucket is complete its
gradients are copied into the flat buffer, divided by the world size and a non-blocking
all-reduce (MPI Iallreduce) is started while backward goes on with the earlier layers. The
hook of the last parameter waits for every bucket and copies the averages back into .grad,
so backward() returns with averaged gradients, ready for the optimizer step.

BatchNorm: each rank normalizes with the statistics of its own share of the batch (as
PyTorch's DDP does without SyncBatchNorm), and the running statistics are rank 0's, broadcast
before every training forward (broadcast_buffers=True). A run on N processes therefore equals one
process only if it also normalizes each 1/N of the batch separately.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ... import distributed as dist
from ...autograd import is_grad_enabled
from ...tensor import Tensor
from ..module import Module


class _Bucket:
    """Parameters whose gradients are averaged by one all-reduce of a flat buffer."""

    def __init__(self, params: list[Tensor]) -> None:
        self.params = params
        sizes = [p._data.size for p in params]
        self.slices = [slice(start, start + size) for start, size in zip(np.cumsum([0] + sizes), sizes)]
        self.flat = Tensor(np.zeros(sum(sizes), params[0]._data.dtype))
        self.ready, self.work = set(), None

    def mark_ready(self, param: Tensor, world_size: int) -> None:
        """Count `param` ready; start the all-reduce when the bucket is complete."""
        self.ready.add(id(param))
        if len(self.ready) == len(self.params):
            for p, part in zip(self.params, self.slices):
                self.flat._data[part] = p.grad._data.reshape(-1)
            self.flat._data /= world_size  # the sum over ranks of g / N is the average
            self.work = dist.all_reduce(self.flat, async_op=True)

    def finish(self) -> None:
        """Wait for the all-reduce and put the averaged gradients back into .grad."""
        self.work.wait()
        for p, part in zip(self.params, self.slices):
            p.grad._data[...] = self.flat._data[part].reshape(p.shape)
            p.grad._bump_version()
        self.ready, self.work = set(), None


def _make_buckets(params: list[Tensor], cap_bytes: int) -> list[_Bucket]:
    buckets, current, size = [], [], 0
    for p in params:
        if current and (size + p._data.nbytes > cap_bytes or p._data.dtype != current[0]._data.dtype):
            buckets.append(_Bucket(current))
            current, size = [], 0
        current.append(p)
        size += p._data.nbytes
    if current:
        buckets.append(_Bucket(current))
    return buckets


class DistributedDataParallel(Module):
    """Wrap `module` for data-parallel training over the default process group.

    broadcast_buffers: copy rank 0's buffers (BatchNorm running statistics) to every rank
    before each training forward. bucket_cap_mb: the size of one all-reduce. Every parameter
    that requires grad must take part in each synchronized backward. device_ids,
    output_device, dim, process_group (there is only the default one) and PyTorch's other
    options (gradient_as_bucket_view, static_graph ...) are accepted for drop-in scripts and
    have no effect on the CPU.
    """

    def __init__(
        self,
        module: Module,
        device_ids: list[int] | None = None,
        output_device: int | None = None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        process_group: Any = None,
        bucket_cap_mb: float = 25,
        find_unused_parameters: bool = False,
        **torch_options: Any,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module, got {type(module).__name__}")
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: call npgrad.distributed.init_process_group() first")
        if find_unused_parameters:
            raise ValueError(
                "DistributedDataParallel: find_unused_parameters=True is not supported; "
                "every parameter that requires grad must be used in the loss"
            )
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        self._world_size = dist.get_world_size()
        self._broadcast_from_rank0(list(module.parameters()) + list(module.buffers()))
        params = [p for p in module.parameters() if p.requires_grad]
        self._buckets = _make_buckets(reversed(params), bucket_cap_mb * 2**20)
        self._bucket_of = {id(p): b for b in self._buckets for p in b.params}
        self._names = {id(p): name for name, p in module.named_parameters()}
        self._armed, self._in_flight = False, []
        for p in params:
            p.register_post_accumulate_grad_hook(self._grad_ready)

    @staticmethod
    def _broadcast_from_rank0(tensors):
        """Rank 0's values into every rank's `tensors`, coalesced as PyTorch's DDP does: one
        broadcast of all the tensors of a dtype laid end to end (a BatchNorm model's 12
        buffers in 2 collectives)."""
        by_dtype: dict[Any, list[Tensor]] = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype, []).append(t)
        for group in by_dtype.values():
            flat = Tensor(np.concatenate([t._data.reshape(-1) for t in group]))
            dist.broadcast(flat, src=0)
            for t, values in zip(group, np.split(flat._data, np.cumsum([t._data.size for t in group])[:-1])):
                t._data[...] = values.reshape(t._data.shape)
                t._bump_version()

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """The module's forward; a training forward (grad enabled, outside no_sync) first
        takes rank 0's buffers and prepares the averaging of the coming backward. Forwards
        without grad (evaluation) communicate nothing, so ranks may run different numbers."""
        if is_grad_enabled() and self.require_backward_grad_sync:
            if self.broadcast_buffers and self._world_size > 1:
                self._broadcast_from_rank0(list(self.module.buffers()))
            self._arm()
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes of forwards run inside accumulate local gradients without
        communication; the first synchronized backward after averages the accumulated sum."""
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def _arm(self):
        """Expect one synchronized backward; refuse if the last one left parameters out."""
        partial = [b for b in self._buckets if b.ready]
        if partial:
            missing = [self._names[id(p)] for b in partial for p in b.params if id(p) not in b.ready]
            raise RuntimeError(
                f"DistributedDataParallel: the previous backward gave no gradient to "
                f"{missing}; every parameter that requires grad must be used in the loss"
            )
        self._armed, self._in_flight = True, []

    def _grad_ready(self, param):
        if not self._armed:
            return
        for started in self._in_flight:
            started.work.is_completed()  # MPI progresses non-blocking collectives when called
        bucket = self._bucket_of[id(param)]
        bucket.mark_ready(param, self._world_size)
        if bucket.work is None:
            return
        self._in_flight.append(bucket)
        if len(self._in_flight) == len(self._buckets):  # the end of backward: wait for all
            self._armed = False
            for started in self._in_flight:
                started.finish()
