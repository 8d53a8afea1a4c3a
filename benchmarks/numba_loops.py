"""Each op that has a compiled loop (npgrad.backends.numba), forward and backward, with the loop
and with NumPy only, on the shapes of the reference workloads.

    OPENBLAS_NUM_THREADS=2 python benchmarks/numba_loops.py [--repeats 30]

The two ways run in turn in one process (the switch is npgrad.backends.numba.enabled), each time
on the same inputs; the table gives the median ms of each and their ratio (compiled / NumPy,
lower is better). Needs numba (pip install "npgrad[fast]").
"""

import argparse
import statistics
import time

import numpy as np

import npgrad
import npgrad.nn.functional as F
from npgrad import optim
from npgrad.backends import numba as numba_backend


def channels_last(shape, seed=0):
    """Random maps laid out (C, H, W, N) in memory, as conv outputs are."""
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def forward_backward(op, *arrays):
    """A closure running op forward and backward on leaf tensors sharing `arrays`' memory (so
    their layouts stay), with an upstream gradient laid out as the output is, as in a network."""
    grad = None

    def run():
        nonlocal grad
        tensors = [npgrad.from_numpy(a).requires_grad_() for a in arrays]
        y = op(*tensors)
        if grad is None:
            grad = np.empty_like(y.detach().numpy())  # y's memory layout
            grad[...] = np.random.default_rng(1).standard_normal(y.shape)
        y.backward(npgrad.from_numpy(grad))

    return run


def adam_step(size):
    params = [npgrad.tensor(np.zeros(size, np.float32), requires_grad=True)]
    params[0].grad = npgrad.tensor(np.random.default_rng(2).standard_normal(size).astype(np.float32))
    return optim.Adam(params).step


def cases():
    rng = np.random.default_rng(3)
    weight = lambda *shape: rng.standard_normal(shape).astype(np.float32) * 0.1  # noqa: E731
    return [
        ("relu", "mnist_cnn conv 2 output (128, 32, 28, 28)", forward_backward(F.relu, channels_last((128, 32, 28, 28)))),
        ("leaky_relu", "gan D conv 1 output (64, 64, 14, 14)",
         forward_backward(lambda x: F.leaky_relu(x, 0.2), channels_last((64, 64, 14, 14)))),
        ("batch_norm", "mnist_cnn conv 2 output (128, 32, 28, 28)",
         forward_backward(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                          channels_last((128, 32, 28, 28)), weight(32) + 1, weight(32))),
        ("max_pool2d 2x2", "mnist_cnn (128, 32, 28, 28)",
         forward_backward(lambda x: F.max_pool2d(x, 2), channels_last((128, 32, 28, 28)))),
        ("conv2d 4x4 stride 2", "gan D conv 2 (64, 64, 14, 14) -> 128",
         forward_backward(lambda x, w: F.conv2d(x, w, stride=2, padding=1), channels_last((64, 64, 14, 14)),
                          weight(128, 64, 4, 4))),
        ("conv_transpose2d 4x4 stride 2", "gan G (64, 128, 7, 7) -> 64",
         forward_backward(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1), channels_last((64, 128, 7, 7)),
                          weight(128, 64, 4, 4))),
        ("conv2d 3x3", "mnist_cnn conv 2 (128, 32, 28, 28) -> 32",
         forward_backward(lambda x, w: F.conv2d(x, w, padding=1), channels_last((128, 32, 28, 28)), weight(32, 32, 3, 3))),
        ("layer_norm", "gpt (16, 128, 128)",
         forward_backward(lambda x, w, b: F.layer_norm(x, (128,), w, b),
                          rng.standard_normal((16, 128, 128)).astype(np.float32), weight(128) + 1, weight(128))),
        ("gelu tanh", "gpt MLP (16, 128, 512)",
         forward_backward(lambda x: F.gelu(x, approximate="tanh"), rng.standard_normal((16, 128, 512)).astype(np.float32))),
        ("Adam step", "1,000,000 parameters", adam_step(1_000_000)),
    ]  # fmt: skip


def timed(run):
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    if not numba_backend.is_available():
        raise SystemExit("numba is not installed: pip install 'npgrad[fast]'")
    print("| op | shape | NumPy ms | compiled ms | compiled / NumPy |")
    print("|---|---|---|---|---|")
    for name, shape, run in cases():
        times = {True: [], False: []}
        for i in range(args.repeats + 2):  # the first two rounds warm up (and compile)
            for enabled in (True, False) if i % 2 else (False, True):
                numba_backend.enabled = enabled
                times[enabled].append(timed(run))
        numpy_ms, compiled_ms = (statistics.median(times[e][2:]) for e in (False, True))
        print(
            f"| {name} | {shape} | {numpy_ms:.2f} | {compiled_ms:.2f} | **{compiled_ms / numpy_ms:.2f}** |", flush=True
        )


if __name__ == "__main__":
    main()
