"""`npgrad.backends.numba`: optional compiled loops for the elementwise work NumPy does pass by pass on one core.

NumPy runs each arithmetic step of an update as its own pass over memory, on one core: Adam's
update of a parameter is twelve passes. A loop compiled by numba does all twelve steps in one
pass, its iterations split over the cores. With numba installed (`pip install "npgrad[fast]"`)
the ops that have such a loop use it; without numba, with `npgrad.backends.numba.enabled =
False`, or with NPGRAD_NUMBA=0 in the environment, they run their NumPy code. Each loop does the
same float operations in the same order as the NumPy code it stands in for, so both give the
same numbers to the last bit (tests/test_numba_backend.py checks that). The loops are in
npgrad/backends/_numba_kernels.py.

Threads: as many as OMP_NUM_THREADS or OPENBLAS_NUM_THREADS ask for, else one per core.
numba compiles each loop the first time it runs and keeps the machine code on disk
(`__pycache__`), so only the first run on a machine pays for it (a few seconds). Memory: numba
and LLVM add 100-170 MB to the process, which is why it is an extra of its own.
"""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType

import numpy as np

enabled: bool = os.environ.get("NPGRAD_NUMBA", "1") != "0"  # a switch, as torch.backends.cudnn.enabled


def is_available() -> bool:
    """Whether numba is installed."""
    return importlib.util.find_spec("numba") is not None


MIN_SIZE = 2**15  # below this many numbers, starting the threads costs more than the loop saves
DTYPES = (np.dtype(np.float32), np.dtype(np.float64))  # the dtypes the loops are tested on


def kernels(*arrays: np.ndarray | None, min_size: int = MIN_SIZE) -> ModuleType | None:
    """The module of compiled loops, for an op on `arrays` (None entries ignored): when numba is
    installed and enabled, the arrays share one dtype, float32 or float64, and the first holds
    at least `min_size` numbers (0 for the one-thread loops); else None (the op runs its NumPy code)."""
    present = [a for a in arrays if a is not None]
    if not (enabled and _AVAILABLE) or present[0].size < min_size:
        return None
    if present[0].dtype not in DTYPES or any(a.dtype != present[0].dtype for a in present[1:]):
        return None
    from . import _numba_kernels  # imported on first use: importing numba takes about 0.15 s

    return _numba_kernels


_AVAILABLE = is_available()


def flat(*arrays: np.ndarray) -> list[np.ndarray] | None:
    """1-D views of the arrays' memory, their elements in one common order (memory order), or
    None when an array is not one dense block or the arrays are laid out differently."""
    first = arrays[0]
    if any(a.shape != first.shape or a.strides != first.strides for a in arrays[1:]):
        return None
    order = np.argsort([-abs(s) for s in first.strides], kind="stable")  # outermost axis first
    if not first.transpose(order).flags.c_contiguous:
        return None
    return [a.transpose(order).reshape(-1) for a in arrays]


def elementwise(name: str, scalars: tuple, *arrays: np.ndarray) -> bool:
    """Run the compiled loop `name` on `scalars` and flat views of `arrays` (inputs, then outputs)
    when numba is on, the arrays are many enough numbers and laid out alike; whether it ran."""
    fast = kernels(*arrays)
    views = flat(*arrays) if fast is not None else None
    if views is None:
        return False
    getattr(fast, name)(*scalars, *views)
    return True
