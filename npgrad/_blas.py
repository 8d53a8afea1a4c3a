"""NumPy's BLAS thread count, read and set through threadpoolctl when it is installed.

Ops that run many small matrix products in a row (the recurrent layers' time steps) split
their work across Python threads instead, each calling a single-threaded BLAS: NumPy
releases the GIL in its products and loops, and a small GEMM spread over the BLAS's own
threads spends much of its time waking and joining them. Without threadpoolctl (an optional
dependency) `blas_threads()` is 1 and those ops run in the calling thread alone.
"""

import contextlib
import functools
import threading
from concurrent.futures import ThreadPoolExecutor


@functools.lru_cache(maxsize=1)
def _blas_controller():
    """threadpoolctl's controller of the BLAS libraries loaded (NumPy's among them), or None."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    controller = ThreadpoolController().select(user_api="blas")
    return controller if controller.lib_controllers else None


def blas_threads():
    """The number of threads NumPy's BLAS runs a product on (1 when it cannot be known)."""
    controller = _blas_controller()
    return 1 if controller is None else max(lib.get_num_threads() for lib in controller.lib_controllers)


_single_threaded = {"users": 0, "limiter": None, "lock": threading.Lock()}


@contextlib.contextmanager
def single_threaded_blas():
    """Within the block the BLAS runs every product on the calling thread alone. Blocks may
    overlap in several threads: the first to enter sets the limit, the last to leave restores."""
    controller, state = _blas_controller(), _single_threaded
    if controller is None:
        yield
        return
    with state["lock"]:
        state["users"] += 1
        if state["users"] == 1:
            state["limiter"] = controller.limit(limits=1, user_api="blas")
    try:
        yield
    finally:
        with state["lock"]:
            state["users"] -= 1
            if state["users"] == 0:
                state["limiter"].restore_original_limits()


@functools.lru_cache(maxsize=None)
def _pool(workers):
    return ThreadPoolExecutor(workers, thread_name_prefix="npgrad")


def map_parallel(fn, items):
    """[fn(item) for item in items], the first in the calling thread and the others in worker
    threads at the same time, with NumPy's BLAS single-threaded meanwhile."""
    if len(items) == 1:
        return [fn(items[0])]
    with single_threaded_blas():
        futures = [_pool(len(items) - 1).submit(fn, item) for item in items[1:]]
        first = fn(items[0])
        return [first] + [future.result() for future in futures]
