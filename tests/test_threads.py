"""The ops that split their work across threads (npgrad/_threads.py) give what one thread gives.

Each op runs on inputs large enough to be split, with BLAS (and so for_each) at 2 threads and
then at 1; the results must agree to float32 rounding (the convolutions' chunks of rows may
differ with the thread count, and with them the order in which dL/dW's partial sums add up).
"""

import numpy as np
import pytest

import npgrad
import npgrad.nn.functional as F
from npgrad import _threads

threadpoolctl = pytest.importorskip("threadpoolctl")

RNG = np.random.default_rng(0)
IMAGES = RNG.standard_normal((16, 8, 32, 32), dtype=np.float32)  # 131,072 values: at blocks' minimum
CONV_WEIGHT = RNG.standard_normal((8, 8, 3, 3), dtype=np.float32) * 0.2
UP_WEIGHT = RNG.standard_normal((8, 4, 4, 4), dtype=np.float32) * 0.2
GAIN, SHIFT = RNG.standard_normal(8, dtype=np.float32), RNG.standard_normal(8, dtype=np.float32)

OPS = {
    "conv2d": lambda x, p: F.conv2d(x, p[0], padding=1),
    "conv_transpose2d": lambda x, p: F.conv_transpose2d(x, p[1], stride=2, padding=1),
    "batch_norm": lambda x, p: F.batch_norm(x, None, None, p[2], p[3], training=True),
    "relu": lambda x, p: F.relu(x),
    "leaky_relu": lambda x, p: F.leaky_relu(x, 0.2),
    "max_pool2d": lambda x, p: F.max_pool2d(x, 2),
    "max_pool2d overlapping": lambda x, p: F.max_pool2d(x, 3, stride=2, padding=1),
}


def run(op, threads):
    """The op's output and its inputs' gradients with BLAS at `threads` threads."""
    with threadpoolctl.threadpool_limits(limits=threads, user_api="blas"):
        assert _threads.workers() == threads
        # the (C, H, W, N) layout the convolutions hand on, as in a network
        x = npgrad.tensor(np.ascontiguousarray(IMAGES.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2), requires_grad=True)
        params = [npgrad.tensor(a, requires_grad=True) for a in (CONV_WEIGHT, UP_WEIGHT, GAIN, SHIFT)]
        y = OPS[op](x, params)
        (y * y).sum().backward()
        return [y.detach().numpy()] + [np.asarray(t.grad) for t in [x] + params if t.grad is not None]


@pytest.mark.parametrize("op", OPS)
def test_two_threads_give_what_one_gives(op):
    split, single = run(op, 2), run(op, 1)
    assert [a.shape for a in split] == [a.shape for a in single]
    for a, b in zip(split, single):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())


def test_blocks_cut_planes_apart_and_cover_the_array():
    maps = np.zeros((4, 6, 5, 5), np.float32)[:, :, :, :]
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        parts = _threads.blocks(maps, axes=range(2), minimum=1)
    assert len(parts) == 2
    for index in parts:
        maps[index] += 1
    assert (maps == 1).all()  # every element in exactly one block
