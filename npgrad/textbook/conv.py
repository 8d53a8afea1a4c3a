"""2-D convolution (cross-correlation, as in every deep-learning library) written two ways:
by direct loops over the kernel window, and as im2col followed by one matrix product.
Stride 1, no padding: y[n, o, r, s] = sum_{c, i, j} W[o, c, i, j] x[n, c, r + i, s + j] + b[o].
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


def _window(x: np.ndarray, i: int, j: int, OH: int, OW: int) -> np.ndarray:
    """x[n, c, r + i, s + j] for every output position (r, s): the pixels that kernel offset
    (i, j) meets, for every window at once."""
    return x[:, :, i : i + OH, j : j + OW]


class Conv2dLoopsFunction(Function):
    """y = sum over the kernel offsets (i, j) of W[:, :, i, j] applied to the shifted input.

    The loops run over the kh x kw offsets only; each offset is one product over all samples and
    positions. Backward, offset by offset:

        dL/dW[:, :, i, j] = sum_{n, r, s} dL/dy[n, :, r, s] x[n, :, r + i, s + j]^T
        dL/dx[n, :, r + i, s + j] += W[:, :, i, j]^T dL/dy[n, :, r, s]
        dL/db = sum_{n, r, s} dL/dy[n, :, r, s]

    The fast op (npgrad.functional.conv.ConvolutionFunction) is im2col and a GEMM (see Conv2dIm2colFunction),
    made a few output rows at a time so that each chunk of columns is still in cache when its GEMM
    reads it, in a (C, H, W, N) memory layout that keeps every copy contiguous; it remakes the
    columns in backward instead of storing them (memory), and takes stride, padding, dilation
    and groups.
    """

    def forward(self, x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.x, self.W = x, W
        OH, OW = x.shape[2] - W.shape[2] + 1, x.shape[3] - W.shape[3] + 1
        y = np.zeros((x.shape[0], W.shape[0], OH, OW), x.dtype) + b[:, None, None]
        for i in range(W.shape[2]):
            for j in range(W.shape[3]):
                y += np.einsum("nchw,oc->nohw", _window(x, i, j, OH, OW), W[:, :, i, j])
        return y

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, W = self.x, self.W
        OH, OW = dy.shape[2:]
        dx, dW = np.zeros_like(x), np.zeros_like(W)
        for i in range(W.shape[2]):
            for j in range(W.shape[3]):
                dW[:, :, i, j] = np.einsum("nohw,nchw->oc", dy, _window(x, i, j, OH, OW))
                _window(dx, i, j, OH, OW)[...] += np.einsum("nohw,oc->nchw", dy, W[:, :, i, j])
        return dx, dW, dy.sum(axis=(0, 2, 3))


def im2col(x: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """Every kh x kw window of x (N, C, H, W) as one row of a matrix `(N*OH*OW, C*kh*kw)`."""
    N, C, H, W = x.shape
    OH, OW = H - kh + 1, W - kw + 1
    cols = np.empty((N, C, kh, kw, OH, OW), x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = _window(x, i, j, OH, OW)
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, C * kh * kw)


def col2im(dcols: np.ndarray, x_shape: tuple[int, int, int, int], kh: int, kw: int) -> np.ndarray:
    """The adjoint of im2col: add every row's numbers back onto the pixels they came from."""
    N, C, H, W = x_shape
    OH, OW = H - kh + 1, W - kw + 1
    dcols = dcols.reshape(N, OH, OW, C, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    dx = np.zeros(x_shape, dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            _window(dx, i, j, OH, OW)[...] += dcols[:, :, i, j]  # overlapping windows add up
    return dx


class Conv2dIm2colFunction(Function):
    """Y = im2col(x) W_col^T + b: each window is a row, each filter W[o] flattened is a row of
    W_col `(O, C*kh*kw)`, and the convolution is one matrix product, like a Linear layer.

    Backward, as for Linear: dL/dW_col = dY^T cols, dL/dcols = dY W_col, and
    dL/dx = col2im(dL/dcols) adds each window's gradient back onto its pixels.

    The fast op (npgrad.functional.conv.ConvolutionFunction) is this algorithm in a (C, H, W, N)
    layout (contiguous copies, the GEMM's result already is the output), with stride, padding,
    dilation and groups, and it makes the columns again in backward instead of keeping them
    (they are kh x kw times the size of x).
    """

    def forward(self, x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        N, _, H, Wd = x.shape
        O, _, kh, kw = W.shape
        self.x_shape, self.W = x.shape, W
        self.cols = im2col(x, kh, kw)
        Y = self.cols @ W.reshape(O, -1).T + b  # (N*OH*OW, O)
        return Y.reshape(N, H - kh + 1, Wd - kw + 1, O).transpose(0, 3, 1, 2)

    def backward(self, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        O, _, kh, kw = self.W.shape
        dY = dy.transpose(0, 2, 3, 1).reshape(-1, O)
        dW = (dY.T @ self.cols).reshape(self.W.shape)  # dL/dW_col = dY^T cols
        dx = col2im(dY @ self.W.reshape(O, -1), self.x_shape, kh, kw)  # col2im(dY W_col)
        return dx, dW, dY.sum(axis=0)
