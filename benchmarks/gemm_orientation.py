"""The same matrix product stored either way round: GF/s of OpenBLAS (through NumPy) for the
products npgrad's convolutions and LSTM run, and for one large square product as the ceiling.

    OPENBLAS_NUM_THREADS=2 python benchmarks/gemm_orientation.py
    OPENBLAS_NUM_THREADS=2 env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/gemm_orientation.py

A product C = A · B can be computed as it is or as its transpose C^T = B^T · A^T; NumPy hands
both to the same BLAS routine, but which of C's dimensions ends up innermost in memory decides
which way round the BLAS kernel walks it, and with few rows (a conv's output channels, an LSTM's
batch) that can halve the speed. Prints the best of several runs of each.
"""

import os
import time

import numpy as np

RNG = np.random.default_rng(0)


def random(*shape):
    return RNG.standard_normal(shape, dtype=np.float32)


def gflops(product, flops, repeats=20):
    product()
    best = min(_seconds(product) for _ in range(repeats))
    return flops / best / 1e9


def _seconds(product):
    start = time.perf_counter()
    product()
    return time.perf_counter() - start


def square_ceiling(n=2048):
    a, b = random(n, n), random(n, n)
    print(f"{n} x {n} by {n} x {n}: {gflops(lambda: a @ b, 2 * n**3, 5):.0f} GF/s")


def weight_gradient_rates(channels_out, k, columns):
    """GF/s of dL/dy · cols^T and of cols · dL/dy^T transposed back, for one shape."""
    grad_y, cols = random(channels_out, columns), random(k, columns)
    flops = 2 * channels_out * k * columns
    return gflops(lambda: grad_y @ cols.T, flops), gflops(lambda: (cols @ grad_y.T).T.copy(), flops)


def conv_weight_gradients():
    """dL/dW of a convolution from one chunk of im2col's columns: (O, L) by (L, K)."""
    print("conv dL/dW (O, K=C*kh*kw, L columns): dL/dy · cols^T  |  cols · dL/dy^T, transposed")
    for shape in ((32, 288, 6144), (64, 288, 5120), (64, 576, 8192), (128, 1024, 3136)):
        as_is, transposed = weight_gradient_rates(*shape)
        print(f"  {shape}: {as_is:4.0f}  |  {transposed:4.0f} GF/s")


def lstm_step_product(batch=32, hidden=256, gates=1024):
    """One step's h_{t-1} · W_hh^T, as (batch, gates) and as its transpose (gates, batch)."""
    h, w_hh = random(batch, hidden), random(gates, hidden)
    h_t = np.ascontiguousarray(h.T)
    flops = 2 * batch * hidden * gates
    as_is, transposed = gflops(lambda: h @ w_hh.T, flops, 200), gflops(lambda: w_hh @ h_t, flops, 200)
    us = [flops / rate / 1e3 for rate in (as_is, transposed)]
    print(
        f"LSTM step product ({batch}x{hidden} by {hidden}x{gates}): {us[0]:.0f} µs as (batch, gates), "
        f"{us[1]:.0f} µs as (gates, batch)"
    )


if __name__ == "__main__":
    kernels = os.environ.get("OPENBLAS_CORETYPE", "picked by OpenBLAS")
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}, kernels: {kernels}")
    square_ceiling()
    conv_weight_gradients()
    lstm_step_product()
