"""Run as `mpiexec -n 2 python collectives.py`: checks every collective; prints 'ok <rank>'."""

import numpy as np

import npgrad
import npgrad.distributed as dist

dist.init_process_group(backend="mpi")
rank, world = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.get_backend() == "mpi" and world == 2

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

dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
print("ok", rank, flush=True)
