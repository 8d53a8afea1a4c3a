"""Run as `mpiexec -n 2 python -m mpi4py fault.py raise|exit` or `python -m npgrad.distributed.launch
--nproc 2 fault.py raise|exit`: rank 1 raises, or calls sys.exit(2), while rank 0 waits in an
all-reduce; every process must end instead of hanging."""

import sys

import npgrad
import npgrad.distributed as dist

dist.init_process_group()
t = npgrad.ones(3)
dist.all_reduce(t)
if dist.get_rank() == 1 and sys.argv[1] == "raise":
    raise ValueError("rank 1 failed on purpose")
if dist.get_rank() == 1 and sys.argv[1] == "exit":
    sys.exit(2)
dist.all_reduce(t)  # rank 0 blocks here until the failure aborts it
print("rank 0 was never stopped", flush=True)
