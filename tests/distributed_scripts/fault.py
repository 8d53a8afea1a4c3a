"""Run as `mpiexec -n 2 python fault.py`: rank 1 raises while rank 0 waits in an all-reduce;
every process must end (with the error reported) instead of hanging."""

import npgrad
import npgrad.distributed as dist

dist.init_process_group(backend="mpi")
t = npgrad.ones(3)
dist.all_reduce(t)
if dist.get_rank() == 1:
    raise ValueError("rank 1 failed on purpose")
dist.all_reduce(t)  # rank 0 blocks here until the failure aborts it
print("rank 0 was never stopped", flush=True)
