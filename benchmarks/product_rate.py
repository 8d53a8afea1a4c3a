"""How much of an npgrad step is matrix products, and how fast the BLAS runs them.

    OPENBLAS_NUM_THREADS=2 python benchmarks/product_rate.py --workload gan --threads 2

Runs npgrad_ref.py's workload with every np.matmul call timed and its floating-point operations
counted (2·m·k·n for an (m, k) by (k, n) product, times the batch of a batched one), then
prints, per training step: the GFLOP, the milliseconds spent in products and the rate, and the
shapes that take the most time. A rate near the CPU's peak (cores × FMA units × SIMD width × 2
× clock) means the products cannot get faster with these kernels, only fewer.
"""

import collections
import contextlib
import io
import json
import os
import runpy
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


def main():
    np.matmul = timed_matmul  # npgrad's ops look np.matmul up at each call
    sys.argv = [os.path.join(HERE, "npgrad_ref.py")] + sys.argv[1:]
    os.environ["BENCH_QUIET_WAIT"] = "0"
    sys.path.insert(0, HERE)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        runpy.run_path(sys.argv[0], run_name="__main__")
    record = json.loads([line for line in output.getvalue().splitlines() if line.startswith("{")][-1])
    steps = record["warmup"] + record["steps"]  # products are counted in the warm-up steps too
    seconds, flops = sum(SECONDS.values()) / steps, sum(FLOPS.values()) / steps
    print(f"{record['workload']}, {record['threads']} threads, {record['blas'][0].get('architecture')} kernels:")
    print(f"step {record['median_ms']:.1f} ms (median); products {flops / 1e9:.2f} GFLOP in {seconds * 1e3:.1f} ms")
    print(f"= {flops / seconds / 1e9:.0f} GFLOP/s")
    print("(m, k, n, batch)        calls/step  ms/step  GFLOP/s")
    for key in sorted(SECONDS, key=SECONDS.get, reverse=True)[:8]:
        rate = FLOPS[key] / SECONDS[key] / 1e9
        print(f"{str(key):24s} {CALLS[key] / steps:9.1f} {SECONDS[key] / steps * 1e3:8.2f} {rate:8.0f}")


if __name__ == "__main__":
    main()
