"""Data-parallel training over MPI with PyTorch's names (torch.distributed).

    import npgrad.distributed as dist
    dist.init_process_group(backend="mpi")   # rank and world size from `mpiexec -n N`
    dist.all_reduce(t)                         # in place: the sum over ranks

Without mpi4py (or without a launcher) the process is rank 0 of a world of size 1.
"""

from .process_group import (
    ReduceOp,
    Work,
    abort_on_error,
    all_gather,
    all_reduce,
    barrier,
    broadcast,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    launched_world_size,
)

__all__ = [
    "ReduceOp",
    "Work",
    "abort_on_error",
    "all_gather",
    "all_reduce",
    "barrier",
    "broadcast",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "launched_world_size",
]
