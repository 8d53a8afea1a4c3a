"""Output sizes, a 5x5 * 3x3 convolution by hand, convolution as a matrix product.

Convolution arithmetic, a convolution worked by hand, and convolution as a matrix.

1. Output size. Along each spatial axis a convolution with kernel k, stride s, padding p and
   dilation d maps n inputs to floor((n + 2p - d(k - 1) - 1) / s) + 1 outputs; the table checks
   the formula against conv2d's actual output shapes.
2. By hand. A 5x5 image and a 3x3 vertical-edge kernel: each output is the sum of the
   element-wise product of the kernel with one 3x3 window (cross-correlation, as every deep
   learning library computes it), written out for one position and compared with conv2d.
3. A linear map. Convolution is linear in its input, so it is a matrix: unrolling the kernel
   gives a sparse (out_h*out_w, h*w) matrix T with conv2d(x) = T @ x.flatten(). Its transpose
   T^T is exactly the transposed convolution: conv_transpose2d(y) = T^T @ y.flatten().
"""

import os

import numpy as np

from npgrad import tensor
from npgrad.analysis.plots import pyplot_or_none, save_figure
from npgrad.nn import functional as F
from npgrad.lessons import main

SIZE_CASES = [  # (input n, kernel k, stride s, padding p, dilation d)
    (28, 3, 1, 0, 1),
    (28, 3, 1, 1, 1),
    (28, 5, 1, 2, 1),
    (28, 3, 2, 1, 1),
    (28, 2, 2, 0, 1),
    (32, 7, 2, 3, 1),
    (224, 11, 4, 2, 1),
    (10, 3, 1, 0, 2),
    (9, 4, 3, 0, 1),
    (7, 3, 5, 1, 1),
]
IMAGE = np.array([[0, 0, 9, 9, 9]] * 5, dtype=np.float32)  # a vertical edge
KERNEL = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float32)


def output_size(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def size_table():
    rows = []
    for n, k, s, p, d in SIZE_CASES:
        x, w = tensor(np.zeros((1, 1, n, n), np.float32)), tensor(np.zeros((1, 1, k, k), np.float32))
        actual = F.conv2d(x, w, stride=s, padding=p, dilation=d).shape[-1]
        rows.append({"n": n, "k": k, "s": s, "p": p, "d": d, "formula": output_size(n, k, s, p, d), "conv2d": actual})
    return rows


def conv(image, kernel, **options):
    return F.conv2d(tensor(image[None, None]), tensor(kernel[None, None]), **options).numpy()[0, 0]


def unrolled_matrix(kernel, n):
    """T with conv2d(x) = T @ x.flatten() for an n x n image: row r holds the kernel placed at
    output position r, found by convolving each one-hot image (column j is conv2d(e_j))."""
    basis = np.eye(n * n, dtype=np.float32).reshape(n * n, 1, n, n)
    columns = F.conv2d(tensor(basis), tensor(kernel[None, None])).numpy()
    return columns.reshape(n * n, -1).T


def run(out_dir, quick=False):
    sizes = size_table()
    print("output size = floor((n + 2p - d(k-1) - 1) / s) + 1")
    print(f"{'n':>4} {'k':>3} {'s':>3} {'p':>3} {'d':>3} {'formula':>8} {'conv2d':>7}")
    for r in sizes:
        print(f"{r['n']:>4} {r['k']:>3} {r['s']:>3} {r['p']:>3} {r['d']:>3} {r['formula']:>8} {r['conv2d']:>7}")

    output = conv(IMAGE, KERNEL)
    window = IMAGE[0:3, 1:4]
    by_hand = float((window * KERNEL).sum())
    print(f"\ninput 5x5:\n{IMAGE}\nkernel 3x3:\n{KERNEL}\nconv2d output 3x3:\n{output}")
    terms = " + ".join(f"{a:g}*{b:g}" for a, b in zip(window.ravel(), KERNEL.ravel()))
    print(f"out[0, 1] = {terms} = {by_hand:g}")

    n = 5
    matrix = unrolled_matrix(KERNEL, n)
    x = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    y = np.random.default_rng(1).standard_normal((n - 2, n - 2)).astype(np.float32)
    conv_error = float(np.abs(matrix @ x.ravel() - conv(x, KERNEL).ravel()).max())
    transposed = F.conv_transpose2d(tensor(y[None, None]), tensor(KERNEL[None, None])).numpy().ravel()
    transpose_error = float(np.abs(matrix.T @ y.ravel() - transposed).max())
    print(f"\nunrolled kernel T: {matrix.shape}, {np.count_nonzero(matrix)} of {matrix.size} entries non-zero")
    print(f"max |T x - conv2d(x)| = {conv_error:.2e};  max |T^T y - conv_transpose2d(y)| = {transpose_error:.2e}")
    figures = write_figure(out_dir, matrix)
    return {
        "sizes": sizes,
        "hand_output": output.tolist(),
        "hand_value_0_1": by_hand,
        "matrix_shape": list(matrix.shape),
        "conv_as_matrix_error": conv_error,
        "transpose_as_matrix_error": transpose_error,
        "figures": figures,
    }


def write_figure(out_dir, matrix):
    plt = pyplot_or_none()
    if plt is None:
        return []
    fig, ax = plt.subplots(figsize=(8, 3.6))
    limit = np.abs(matrix).max()
    ax.imshow(matrix, cmap="bwr", vmin=-limit, vmax=limit)
    ax.set_xlabel("input pixel (5x5 image, flattened)")
    ax.set_ylabel("output pixel (3x3)")
    ax.set_title("A 3x3 convolution as a 9 x 25 matrix: the kernel, shifted along each row")
    return [save_figure(fig, os.path.join(out_dir, "conv_as_matrix.png"))]


READ_NEXT = """
textbook (the lecture's equations): npgrad/textbook/conv.py Conv2dLoopsFunction (a loop over the kernel window),
    Conv2dIm2colFunction and im2col (convolution as one matrix product)
fast ops: npgrad/functional/conv.py conv2d and conv_transpose2d
the page: docs/lessons/conv-arithmetic.md
"""

if __name__ == "__main__":
    main(run)
