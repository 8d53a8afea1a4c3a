"""Run as `mpiexec -n 2 python collectives.py mpi` or `python -m npgrad.distributed.launch
--nproc 2 collectives.py shm`: checks every collective on the named backend; prints 'ok <rank>'."""

import sys

import numpy as np

import npgrad
import npgrad.distributed as dist
from npgrad.nn.parallel import DistributedDataParallel

dist.init_process_group()
rank, world = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.get_backend() == sys.argv[1] and world == 2

t = npgrad.tensor([1.0, 2.0]) * (rank + 1)
version = t._version
dist.all_reduce(t)
np.testing.assert_array_equal(t.numpy(), [3.0, 6.0])
assert t._version > version  # in place: counted as a change

for op, expected in ((dist.ReduceOp.MAX, 2.0), (dist.ReduceOp.MIN, 1.0), (dist.ReduceOp.PRODUCT, 2.0)):
    m = npgrad.tensor([float(rank + 1)])
    dist.all_reduce(m, op=op)
    assert m.item() == expected, (op, m.item())

strided = npgrad.zeros(3, 4)[:, ::2]  # a non-contiguous view is reduced in place too
strided._data[...] = rank + 1
dist.all_reduce(strided)
np.testing.assert_array_equal(strided.numpy(), np.full((3, 2), 3.0))

work = dist.all_reduce(npgrad.ones(5, dtype=npgrad.float64), async_op=True)
assert work.wait()

b = npgrad.full((2, 3), float(rank))
dist.broadcast(b, src=1)
np.testing.assert_array_equal(b.numpy(), np.ones((2, 3)))

gathered = [npgrad.zeros(2, dtype=npgrad.int64) for _ in range(world)]
dist.all_gather(gathered, npgrad.tensor([rank, 10 * rank]))
np.testing.assert_array_equal(np.stack([g.numpy() for g in gathered]), [[0, 0], [1, 10]])

# arrays larger than one slot of the shared-memory backend (4 MiB) go through it in pieces
big = np.arange(1_500_001, dtype=np.float32)
large = npgrad.tensor(big * (rank + 1))
dist.all_reduce(large)
np.testing.assert_array_equal(large.numpy(), big * 3)
large = npgrad.tensor(big * (rank + 1))
dist.broadcast(large, src=1)
np.testing.assert_array_equal(large.numpy(), big * 2)
gathered = [npgrad.zeros(big.size) for _ in range(world)]
dist.all_gather(gathered, npgrad.tensor(big + rank))
for r, g in enumerate(gathered):
    np.testing.assert_array_equal(g.numpy(), big + r)

# DistributedDataParallel starts every rank from rank 0's parameters and buffers, of every dtype
npgrad.manual_seed(rank)
model = npgrad.nn.Sequential(npgrad.nn.Linear(3, 4), npgrad.nn.BatchNorm1d(4))
model[1].running_mean._data[...] = rank + 1.0
model[1].num_batches_tracked._data[...] = rank + 5
DistributedDataParallel(model)
for name, t in [*model.named_parameters(), *model.named_buffers()]:
    copies = [npgrad.zeros_like(t) for _ in range(world)]
    dist.all_gather(copies, t)
    np.testing.assert_array_equal(copies[1].numpy(), copies[0].numpy(), err_msg=name)
assert model[1].num_batches_tracked.item() == 5 and model[1].running_mean[0].item() == 1.0

dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
print("ok", rank, flush=True)
