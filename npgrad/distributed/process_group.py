"""The process group: who I am (rank), how many we are (world size) and how we talk.

Two backends share one small interface over NumPy arrays:

- `_MPIBackend` uses mpi4py's MPI.COMM_WORLD; rank and world size come from the launcher
  (`mpiexec -n N python train.py`), and every collective is an MPI collective on the array's
  own memory (no pickling, no copies for contiguous arrays).
- `_SingleProcessBackend` is world size 1 with no dependency: every collective is the
  identity, so code written for N processes runs unchanged in one.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor

# Environment variables that MPI launchers set in every process they start.
_LAUNCHER_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "PMIX_SIZE")


class ReduceOp:
    """How all_reduce combines the ranks' tensors (PyTorch's names)."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


class Work:
    """A started non-blocking collective: `wait()` blocks until its result is in place."""

    def __init__(self, request: Any = None, on_done: Callable[[], None] | None = None) -> None:
        self._request, self._on_done = request, on_done

    def wait(self) -> bool:
        if self._request is not None:
            self._request.Wait()
            self._request = None
            if self._on_done is not None:
                self._on_done()
        return True

    def is_completed(self) -> bool:
        return self._request is None or self._request.Test()


def _contiguous_view(array, name):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name}: expected a tensor, got {type(array).__name__}")
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


class _SingleProcessBackend:
    name = "single-process"
    rank, size = 0, 1

    def all_reduce(self, array, op):
        return Work()

    def broadcast(self, array, src):
        return Work()

    def all_gather(self, array):
        return array[None].copy()

    def barrier(self):
        pass

    def abort(self, code):
        os._exit(code)


class _MPIBackend:
    name = "mpi"

    def __init__(self, MPI):
        self.MPI, self.comm = MPI, MPI.COMM_WORLD
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self._ops = {ReduceOp.SUM: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}

    def all_reduce(self, array, op):
        """Start an in-place all-reduce of `array` (contiguous) and return its Work."""
        return Work(self.comm.Iallreduce(self.MPI.IN_PLACE, array, op=self._ops[op]))

    def broadcast(self, array, src):
        return Work(self.comm.Ibcast(array, root=src))

    def all_gather(self, array):
        gathered = np.empty((self.size,) + array.shape, array.dtype)
        self.comm.Allgather(array, gathered)
        return gathered

    def barrier(self):
        self.comm.Barrier()

    def abort(self, code):
        time.sleep(0.5)  # the launcher forwards this rank's last output (the error) before the kill
        self.comm.Abort(code)


_backend = None


def launched_world_size() -> int:
    """The number of processes a launcher started (1 outside one): npgrad's own (shared memory),
    or MPI's, read from the environment it sets, without initializing MPI."""
    from .shared_memory import launched_world

    world = launched_world()
    if world is not None:
        return world.size
    for variable in _LAUNCHER_SIZE_VARIABLES:
        if os.environ.get(variable, "").isdigit():
            return int(os.environ[variable])
    return 1


def _make_backend(backend: str | None) -> Any:
    from .shared_memory import SharedMemoryBackend, launched_world

    world = launched_world()
    if world is not None:
        if backend not in ("shm", None):
            raise ValueError(
                f"init_process_group: backend {backend!r} in a process started by npgrad's launcher, "
                f"whose processes talk through shared memory: use backend='shm' or None"
            )
        return SharedMemoryBackend(world)
    if backend not in ("mpi", None):
        raise ValueError(
            f"init_process_group: backend {backend!r} is not available; npgrad supports backend='mpi' "
            f"(world size 1 without MPI) and 'shm' (processes started by python -m npgrad.distributed.launch)"
        )
    try:
        from mpi4py import MPI
    except ImportError:
        launched = launched_world_size()
        if launched > 1:
            raise RuntimeError(
                f"init_process_group: started as {launched} MPI processes but "
                f"mpi4py is not installed; pip install 'npgrad[distributed]'"
            ) from None
        return _SingleProcessBackend()
    return _MPIBackend(MPI)


def _abort_on_uncaught_exception(backend):
    """An exception that ends one rank ends them all (MPI_Abort), instead of leaving the
    others blocked forever in their next collective."""
    previous_hook = sys.excepthook

    def hook(kind, value, tb):
        previous_hook(kind, value, tb)
        if issubclass(kind, KeyboardInterrupt) or backend.size == 1:
            return
        sys.stderr.write(f"npgrad.distributed: rank {backend.rank} failed; aborting all {backend.size} processes\n")
        sys.stderr.flush()
        backend.abort(1)

    sys.excepthook = hook
    return previous_hook


_previous_excepthook = None


@contextlib.contextmanager
def abort_on_error() -> Iterator[None]:
    """An exception inside ends every process of the world (it is printed first), even when
    an outer handler would catch it and leave this rank alone: the others would wait forever."""
    try:
        yield
    except BaseException as error:
        if _backend is None or _backend.size == 1:
            raise
        if isinstance(error, KeyboardInterrupt):  # Ctrl-C reached every process: nothing to report
            _backend.abort(130)
        sys.stderr.write(
            f"npgrad.distributed: rank {_backend.rank} failed: {type(error).__name__}: {error}; "
            f"aborting all {_backend.size} processes\n"
        )
        sys.stderr.flush()
        _backend.abort(1)


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    world_size: int = -1,
    rank: int = -1,
    **torch_options: Any,
) -> None:
    """Join the default process group; rank and world size come from the launcher: npgrad's
    own (`python -m npgrad.distributed.launch --nproc N script.py`, backend 'shm') or MPI's
    (`mpiexec -n N python script.py`, backend 'mpi'); a plain `python script.py` is rank 0 of a
    world of size 1. init_method and PyTorch's other options (timeout, store ...) are accepted
    for drop-in scripts and have no effect: the launcher already connects the processes."""
    global _backend, _previous_excepthook
    if _backend is not None:
        raise RuntimeError("init_process_group: the default process group is already initialized")
    chosen = _make_backend(backend)
    for given, actual, label in ((world_size, chosen.size, "world_size"), (rank, chosen.rank, "rank")):
        if given not in (-1, None) and given != actual:
            raise ValueError(f"init_process_group: {label}={given} but the launcher gave {actual}")
    _backend = chosen
    _previous_excepthook = _abort_on_uncaught_exception(chosen)


def destroy_process_group(group: Any = None) -> None:
    """Leave the default process group (MPI itself is finalized at interpreter exit)."""
    global _backend
    if _backend is not None:
        sys.excepthook = _previous_excepthook
    _backend = None


def is_initialized() -> bool:
    return _backend is not None


def is_available() -> bool:
    return True


def is_mpi_available() -> bool:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def _group():
    if _backend is None:
        raise ValueError("Default process group has not been initialized, please make sure to call init_process_group.")
    return _backend


def get_rank(group: Any = None) -> int:
    return _group().rank


def get_world_size(group: Any = None) -> int:
    return _group().size


def get_backend(group: Any = None) -> str:
    return _group().name


def barrier(group: Any = None) -> None:
    _group().barrier()


def _in_place(tensor: Tensor, name: str, start: Callable[[np.ndarray], Work]) -> Work:
    """Run the collective `start(array) -> Work` on tensor's memory, in place."""
    array = tensor._data
    buffer = _contiguous_view(array, name)

    def finish() -> None:
        if buffer is not array:
            array[...] = buffer
        tensor._bump_version()

    work = start(buffer)
    work._on_done = finish
    if work._request is None:
        finish()
    return work


def _finish(work: Work, async_op: bool) -> Work | None:
    """PyTorch's convention: the Work when async_op, else wait and return None."""
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(tensor: Tensor, op: str = ReduceOp.SUM, group: Any = None, async_op: bool = False) -> Work | None:
    """Combine `tensor` across ranks with `op`, in place on every rank."""
    if op not in (ReduceOp.SUM, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX):
        raise ValueError(f"all_reduce: unknown op {op!r}; expected a ReduceOp")
    backend = _group()
    work = _in_place(tensor, "all_reduce", lambda buffer: backend.all_reduce(buffer, op))
    return _finish(work, async_op)


def broadcast(tensor: Tensor, src: int = 0, group: Any = None, async_op: bool = False) -> Work | None:
    """Overwrite `tensor` on every rank with rank `src`'s values, in place."""
    backend = _group()
    if not 0 <= src < backend.size:
        raise ValueError(f"broadcast: src={src} is not a rank of a world of size {backend.size}")
    work = _in_place(tensor, "broadcast", lambda buffer: backend.broadcast(buffer, src))
    return _finish(work, async_op)


def all_gather(tensor_list: Sequence[Tensor], tensor: Tensor, group: Any = None, async_op: bool = False) -> Work | None:
    """tensor_list[i] <- rank i's `tensor`, on every rank."""
    backend = _group()
    if len(tensor_list) != backend.size:
        raise ValueError(
            f"all_gather: tensor_list has {len(tensor_list)} tensors, expected one per rank ({backend.size})"
        )
    gathered = backend.all_gather(_contiguous_view(tensor._data, "all_gather"))
    for out, values in zip(tensor_list, gathered):
        if out.shape != tensor.shape:
            raise ValueError(f"all_gather: output of shape {tuple(out.shape)}, expected {tuple(tensor.shape)}")
        out._data[...] = values
        out._bump_version()
    return Work() if async_op else None
