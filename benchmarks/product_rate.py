"""How much of an npgrad step is matrix products, and how fast the BLAS runs them.

    OPENBLAS_NUM_THREADS=2 python benchmarks/product_rate.py --workload gan --threads 2
    OPENBLAS_NUM_THREADS=2 python benchmarks/product_rate.py --workload gpt --threads 2 --torch

Runs npgrad_ref.py's workload with every np.matmul call timed and its floating-point operations
counted (2·m·k·n for an (m, k) by (k, n) product, times the batch of a batched one), then
prints, per training step: the GFLOP, the milliseconds spent in products and the rate, and the
shapes that take the most time. A rate near the CPU's peak (cores × FMA units × SIMD width × 2
× clock) means the products cannot get faster with these kernels, only fewer.

--torch also times every shape alone, on fresh contiguous operands, with NumPy's BLAS and with
PyTorch's (torch.matmul, same thread count, in a process of its own), the two in turn 3 times,
the best of each: the step's products as each library runs them at its best.
"""

import collections
import contextlib
import io
import json
import os
import runpy
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SECONDS, FLOPS, CALLS = collections.Counter(), collections.Counter(), collections.Counter()
_matmul = np.matmul


def _shape_key(a, b):
    """(m, k, n, batch) of the product a @ b."""
    m, k = a.shape[-2:] if a.ndim > 1 else (1, a.shape[-1])
    n = b.shape[-1] if b.ndim > 1 else 1
    batch = int(np.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2])))
    return m, k, n, batch


def timed_matmul(a, b, *args, **kwargs):
    start = time.perf_counter()
    result = _matmul(a, b, *args, **kwargs)
    key = _shape_key(np.asarray(a), np.asarray(b))
    SECONDS[key] += time.perf_counter() - start
    FLOPS[key] += 2 * key[0] * key[1] * key[2] * key[3]
    CALLS[key] += 1
    return result


def time_alone(multiply, a, b, warmup=30, repeats=30):
    """Median seconds of multiply(a, b) over `repeats` calls, after `warmup` unmeasured ones
    (MKL, PyTorch's BLAS, is slow on the first calls of a shape)."""
    times = []
    for _ in range(warmup + repeats):
        start = time.perf_counter()
        multiply(a, b)
        times.append(time.perf_counter() - start)
    return float(np.median(times[warmup:]))


def operands(key, rng):
    """Fresh contiguous float32 operands of an (m, k, n, batch) product."""
    m, k, n, batch = key
    lead = (batch,) if batch > 1 else ()
    return rng.standard_normal(lead + (m, k), dtype=np.float32), rng.standard_normal(lead + (k, n), dtype=np.float32)


def seconds_alone(keys, framework, threads):
    """Seconds of one product of every shape, alone, in NumPy or in PyTorch (torch.matmul)."""
    rng = np.random.default_rng(0)
    if framework == "numpy":
        return [time_alone(_matmul, *operands(key, rng)) for key in keys]
    import torch

    torch.set_num_threads(threads)
    return [time_alone(torch.matmul, *map(torch.from_numpy, operands(key, rng))) for key in keys]


def against_torch(keys, steps, threads, rounds=3):
    """Per shape, ms per step: in the step, alone in NumPy, alone in PyTorch; and the totals.
    PyTorch runs in a process of its own: two BLAS libraries' spinning threads in one process
    would slow each other."""
    child = [sys.executable, __file__, "--alone-in-torch", json.dumps([list(key) for key in keys]), str(threads)]
    in_torch, in_numpy = np.inf, np.inf
    for _ in range(rounds):  # in turn, the best of each: the machine's speed drifts over minutes
        in_torch = np.minimum(
            in_torch, json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout)
        )
        in_numpy = np.minimum(in_numpy, seconds_alone(keys, "numpy", threads))
    print("(m, k, n, batch)        in step  NumPy alone  PyTorch alone  (ms/step)")
    totals = np.zeros(3)
    for key, numpy_s, torch_s in zip(keys, in_numpy, in_torch):
        per_step = CALLS[key] / steps
        row = np.array([SECONDS[key] / steps, numpy_s * per_step, torch_s * per_step])
        totals += row
        print(f"{str(key):24s} {row[0] * 1e3:7.2f} {row[1] * 1e3:12.2f} {row[2] * 1e3:14.2f}")
    print(f"{'all of them':24s} {totals[0] * 1e3:7.2f} {totals[1] * 1e3:12.2f} {totals[2] * 1e3:14.2f}")


def main():
    np.matmul = timed_matmul  # npgrad's ops look np.matmul up at each call
    with_torch = "--torch" in sys.argv
    sys.argv = [os.path.join(HERE, "npgrad_ref.py")] + [arg for arg in sys.argv[1:] if arg != "--torch"]
    os.environ["BENCH_QUIET_WAIT"] = "0"
    sys.path.insert(0, HERE)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        runpy.run_path(sys.argv[0], run_name="__main__")
    record = json.loads([line for line in output.getvalue().splitlines() if line.startswith("{")][-1])
    steps = record["warmup"] + record["steps"]  # products are counted in the warm-up steps too
    seconds, flops = sum(SECONDS.values()) / steps, sum(FLOPS.values()) / steps
    kernels = next(
        (blas.get("architecture") for blas in record["blas"] if blas.get("internal_api") == "openblas"), None
    )
    print(f"{record['workload']}, {record['threads']} threads, {kernels} kernels:")
    print(f"step {record['median_ms']:.1f} ms (median); products {flops / 1e9:.2f} GFLOP in {seconds * 1e3:.1f} ms")
    print(f"= {flops / seconds / 1e9:.0f} GFLOP/s")
    print("(m, k, n, batch)        calls/step  ms/step  GFLOP/s")
    for key in sorted(SECONDS, key=SECONDS.get, reverse=True)[:8]:
        rate = FLOPS[key] / SECONDS[key] / 1e9
        print(f"{str(key):24s} {CALLS[key] / steps:9.1f} {SECONDS[key] / steps * 1e3:8.2f} {rate:8.0f}")
    if with_torch:
        np.matmul = _matmul
        against_torch(sorted(SECONDS, key=SECONDS.get, reverse=True), steps, record["threads"])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--alone-in-torch"]:  # the child process of against_torch
        shapes, threads = [tuple(key) for key in json.loads(sys.argv[2])], int(sys.argv[3])
        print(json.dumps(seconds_alone(shapes, "torch", threads)))
    else:
        main()
