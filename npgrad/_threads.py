"""Work split across threads where NumPy would run it on one core.

NumPy's copies and ufunc loops run on one core, and a GEMM of a few MB threads poorly inside
OpenBLAS; both release the GIL. `for_each` hands the items of a loop (a convolution's chunks
of output rows) to as many threads as OpenBLAS may use, each thread taking every W-th item,
while OpenBLAS runs one thread a call: each core then does a chunk's copies and its GEMM from
its own cache. With OpenBLAS at one thread, or without threadpoolctl (the `fast` extra) to set
its thread count, the loop runs in order on the calling thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

_blas: Any = None  # threadpoolctl's controller of the loaded BLAS libraries, made on first use
_pool: ThreadPoolExecutor | None = None


def _forget_pool() -> None:
    global _pool
    _pool = None  # a forked child has none of its parent's threads: it starts its own pool


os.register_at_fork(after_in_child=_forget_pool)


def _blas_controller():
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _blas = False
        else:
            _blas = ThreadpoolController().select(user_api="blas")
    return _blas


def workers() -> int:
    """How many threads for_each uses: the BLAS thread count (1 without threadpoolctl)."""
    blas = _blas_controller()
    return max((lib.get_num_threads() or 1 for lib in blas.lib_controllers), default=1) if blas else 1


def for_each(function: Callable[[int, Any], None], items: Sequence) -> None:
    """function(worker, item) for every item; worker w < workers() takes items w, w + W, ...
    (its own scratch can be indexed by w). BLAS runs one thread a call meanwhile."""
    count = min(workers(), len(items))
    if count <= 1:
        for item in items:
            function(0, item)
        return
    global _pool
    if _pool is None or _pool._max_workers < count - 1:
        _pool = ThreadPoolExecutor(count - 1, thread_name_prefix="npgrad")

    def share(worker):
        for item in items[worker::count]:
            function(worker, item)

    with _blas_controller().limit(limits=1):
        futures = [_pool.submit(share, w) for w in range(1, count)]
        try:
            share(0)
        finally:
            for future in futures:
                future.result()


class Turns:
    """Lets the items of a for_each take turns in their order at one step (an add into shared
    memory), so the sums come out as a loop in order would make them: `with turns(k): ...`
    waits until the steps of items 0 .. k-1 are done."""

    def __init__(self) -> None:
        self.done, self.ready = 0, threading.Condition()

    def __call__(self, index: int) -> _Turn:
        return _Turn(self, index)


class _Turn:
    def __init__(self, turns: Turns, index: int) -> None:
        self.turns, self.index = turns, index

    def __enter__(self) -> None:
        with self.turns.ready:
            self.turns.ready.wait_for(lambda: self.turns.done >= self.index)

    def __exit__(self, error, *_) -> None:
        with self.turns.ready:  # after a failure every later turn is free: no thread waits forever
            self.turns.done = float("inf") if error else max(self.turns.done, self.index + 1)
            self.turns.ready.notify_all()


def blocks(array: np.ndarray, axes: Sequence[int] | None = None, minimum: int = 2**17) -> list[tuple[slice, ...]]:
    """Index tuples that cut `array` along the outermost in memory of `axes` (default: all) into
    one contiguous block per worker; one block, the whole array, when it has fewer than
    `minimum` elements (a thread's start costs more than it saves) or for_each would run on
    one thread."""
    axes = range(array.ndim) if axes is None else axes
    count = workers() if array.size >= minimum and len(axes) else 1
    if count <= 1:
        return [(...,)]
    axis = max(axes, key=lambda a: abs(array.strides[a]) * (array.shape[a] > 1))
    bounds = [array.shape[axis] * i // count for i in range(count + 1)]
    return [(slice(None),) * axis + (slice(a, b),) for a, b in zip(bounds, bounds[1:]) if b > a]
