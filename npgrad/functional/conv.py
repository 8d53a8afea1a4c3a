"""Convolution and transposed convolution, 1-D and 2-D: im2col, one GEMM, col2im.

A convolution is a matrix product. im2col copies every window of the (padded) input into a
column of `cols`, of shape (C*kh*kw, OH*OW*N); then y = W · cols with W the weight as an
(O, C*kh*kw) matrix. Backward: dL/dW = dL/dy · cols^T, and dL/dx = col2im(W^T · dL/dy), where
col2im adds every column back onto the pixels it was copied from (one strided add per kernel
offset). cols is kh*kw times the size of x, so it is never made whole: it is made a few output
rows, or a piece of one row, at a time (CHUNK_BYTES, ROW_PIECE_BYTES: a chunk the caches hold),
each chunk consumed by its share of the GEMMs before the next overwrites it, so cols never
travels to main memory and back (conv2 of `mnist_cnn`, forward and backward: 143 ms instead of
213 ms on one core). Backward makes the chunks again from x rather than hold cols from forward,
and writes W^T · dL/dy over each chunk once dL/dW has used it. A transposed convolution is the
same linear map run the other way round: its forward is the convolution's input gradient
(W^T ·, col2im) and its input gradient is a convolution (im2col, W ·). With groups, channels and weight rows split into `groups` independent blocks and
the GEMM is one batched matmul over the blocks.

Memory layout. Inside these ops a batch of feature maps is a (C, H, W, N) array, the batch
innermost: every im2col copy and col2im add then moves long contiguous runs (OW*N numbers)
rather than rows of OW, and the GEMM result W · cols, of shape (O, OH*OW*N), already is the
output in that layout. It is returned as an (N, O, OH, OW) view of that memory (a transpose, no
copy). Elementwise ops and pooling keep their input's memory order, so the next conv usually
finds its input already laid out as it wants it.

Inputs may be unbatched, (C, H, W) for 2-D and (C, L) for 1-D, as in PyTorch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..autograd import Function
from ..backends import numba as numba_backend
from ..tensor import Tensor
from ..types import _size_1_t, _size_2_t, _size_any_t
from ..utils.environment import blas_threads
from ._windows import Window, as_planes, check_positive, expand, from_planes, make_window


# --------------------------------------------------------------------------- layout helpers
def _to_chwn(x):
    return x.transpose(1, 2, 3, 0)  # (N, C, H, W) -> (C, H, W, N), a view


def _from_chwn(a):
    return a.transpose(3, 0, 1, 2)  # (C, H, W, N) -> (N, C, H, W), a view


def _as_matrix(x):
    """(N, C, H, W) maps as the (C, H*W*N) matrix the GEMMs take; copies only when x is not
    already (C, H, W, N) in memory."""
    return _to_chwn(x).reshape(x.shape[1], -1)


def _from_matrix(matrix, height, width, batch):
    """A (C, H*W*N) GEMM result as (N, C, H, W) maps (a view)."""
    return _from_chwn(matrix.reshape(matrix.shape[0], height, width, batch))  # (sizes given: N may be 0)


# cols is made a few output rows at a time, each chunk read from cache by the GEMM that uses it.
# OpenBLAS on one thread does best with a chunk one core's L2 cache holds: in `npgrad train
# --nproc 2`'s two single-threaded processes, 0.88-0.92 of the step time with 1 MiB against
# 8 MiB. With more threads it splits each product among them and does best with larger chunks:
# 8 MiB took 0.93-0.95 of the time of 2 MiB at 2 threads (docs/benchmarks.md).
CHUNK_BYTES = 2**20 if blas_threads() == 1 else 8 * 2**20
# A row larger than ROW_PIECE_BYTES is made in pieces of about that size: at a batch of 500,
# one output row of `mnist_cnn`'s conv2 has 16 MB of cols, and its forward took 0.79-0.84 of
# the time in pieces of 3-4 MiB on one thread, 0.86-0.90 in pieces of 4-8 MiB on two. Much
# smaller pieces make the products slower than the cache saves: at a batch of 64, conv2 in half
# rows of 1 MiB took 1.04 of the time in whole rows of 2 MiB (docs/benchmarks.md).
ROW_PIECE_BYTES = max(CHUNK_BYTES, 4 * 2**20)


def _padded_chwn(x, window):
    """x (N, C, H, W) as a (C, Hp, Wp, N) array inside its zero border (x's own memory when it
    already is (C, H, W, N) in memory and needs no border)."""
    if window.padded == window.size:
        return np.ascontiguousarray(_to_chwn(x))
    fast = numba_backend.kernels(x)
    if fast is not None:  # border and interior in one compiled pass
        padded = np.empty((x.shape[1],) + window.padded + (x.shape[0],), x.dtype)
        fast.pad(_to_chwn(x), *window.pad_before, padded)
        return padded
    padded = np.zeros((x.shape[1],) + window.padded + (x.shape[0],), x.dtype)
    padded[:, window.interior()[0], window.interior()[1]] = _to_chwn(x)
    return padded


def _interior(padded, window):
    """The unpadded part of a (C, Hp, Wp, N) array as (N, C, H, W) maps (a view)."""
    rows, columns = window.interior()
    return _from_chwn(padded[:, rows, columns])


class OutputPart(NamedTuple):
    """A chunk of a conv's output positions: the rows [first, last) and, within them, the
    columns [first, last); all the columns unless the chunk is a piece of one row."""

    rows: tuple[int, int]
    cols: tuple[int, int]

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows[1] - self.rows[0], self.cols[1] - self.cols[0]


def im2col(padded: np.ndarray, window: Window, part: OutputPart, buffer: np.ndarray) -> np.ndarray:
    """cols[c, i, j, oh, ow, n] = padded[c, oh*sh + i*dh, ow*sw + j*dw, n] for the output
    positions (oh, ow) of `part`, written over the start of the flat `buffer` as a
    (C*kh*kw, positions*N) matrix: one strided copy per kernel offset (i, j)."""
    c, offsets = padded.shape[0], window.kernel[0] * window.kernel[1]
    shape = (c, offsets, *part.shape, padded.shape[-1])
    cols = buffer[: np.prod(shape)].reshape(shape)
    # with stride 1 along the rows, NumPy copies runs of (columns * N) numbers at memory speed;
    # with a larger stride, runs of N only, and one compiled loop (npgrad.backends.numba) does better
    fast = numba_backend.kernels(cols, padded) if window.stride[1] > 1 else None
    if fast is not None:
        fast.im2col(padded, _geometry(window, part), cols)
    else:
        for k, (rows, columns) in enumerate(window.offset_slices(*part)):
            cols[:, k] = padded[:, rows, columns]
    return cols.reshape(c * offsets, -1)


def col2im(cols: np.ndarray, window: Window, part: OutputPart, padded: np.ndarray) -> None:
    """The adjoint of im2col: add each column of cols (C*kh*kw, positions*N) onto the pixels of
    `padded` (C, Hp, Wp, N) it was copied from, for the output positions of `part`."""
    offsets = window.kernel[0] * window.kernel[1]  # spelled out: -1 cannot be inferred when N is 0
    cols = cols.reshape((padded.shape[0], offsets, *part.shape, padded.shape[-1]))
    fast = numba_backend.kernels(cols, padded)
    if fast is not None:  # the same additions in the same order, channels on all cores
        fast.col2im(cols, _geometry(window, part), padded)
        return
    for k, (rows, columns) in enumerate(window.offset_slices(*part)):
        padded[:, rows, columns] += cols[:, k]  # overlapping windows add up


def _geometry(window, part):
    """The numbers the compiled im2col and col2im need (npgrad/backends/_numba_kernels.py)."""
    return (part.rows[0], part.cols[0]) + window.stride + window.dilation + (window.kernel[1],)


def _parts(window, position_bytes):
    """The output positions in chunks, with position_bytes of cols for each position: as many
    whole rows as fit in CHUNK_BYTES (one at least), or pieces of one row of about
    ROW_PIECE_BYTES when a row is larger than that."""
    height, width = window.out
    if position_bytes * width > ROW_PIECE_BYTES:
        positions = max(1, ROW_PIECE_BYTES // position_bytes)
        for row in range(height):
            for first in range(0, width, positions):
                yield OutputPart((row, row + 1), (first, min(first + positions, width)))
        return
    rows = min(height, max(1, CHUNK_BYTES // max(position_bytes * width, 1)))
    for first in range(0, height, rows):
        yield OutputPart((first, min(first + rows, height)), (0, width))


def _chunks(window, channels, batch, dtype, padded=None):
    """(part, cols) for successive chunks of the output positions (_parts): im2col(padded) when
    padded is given, else scratch to write cols into; one buffer serves all."""
    height = channels * window.kernel[0] * window.kernel[1]  # rows of cols
    parts = list(_parts(window, height * batch * dtype.itemsize))
    buffer = np.empty(height * np.prod(parts[0].shape) * batch, dtype)  # the first part is the largest
    for part in parts:
        if padded is None:
            yield part, buffer[: height * np.prod(part.shape) * batch].reshape(height, -1)
        else:
            yield part, im2col(padded, window, part, buffer)


def _columns(matrix, part, window, batch):
    """The columns of a (R, OH*OW*N) matrix that belong to the output positions of `part` (a
    view: a part's positions are consecutive in row-major order)."""
    width = window.out[1]
    first = part.rows[0] * width + part.cols[0]
    last = (part.rows[1] - 1) * width + part.cols[1]
    return matrix[:, first * batch : last * batch]


# --------------------------------------------------------------------------- the three GEMMs
def _by_group(matrix, groups):
    return matrix.reshape(groups, matrix.shape[0] // groups, matrix.shape[-1])  # (R, M) -> (groups, R/groups, M)


def _kernel_matrix(weight, groups):
    """A conv weight (O, C/g, kh, kw) as `groups` matrices of shape (O/g, C/g*kh*kw)."""
    return weight.reshape(groups, weight.shape[0] // groups, -1)


def _apply_kernel(kernel, cols, groups, out):
    np.matmul(kernel, _by_group(cols, groups), out=_by_group(out, groups))  # y = W · cols


def _apply_kernel_transposed(kernel, y, groups, out):
    np.matmul(kernel.transpose(0, 2, 1), _by_group(y, groups), out=_by_group(out, groups))  # cols = W^T · y


def _kernel_grad(grad_y, cols, groups, shape):
    # dL/dW = dL/dy · cols^T, block by block, computed as its transpose cols · dL/dy^T: the same
    # product, but OpenBLAS's AVX-512 kernels run it up to twice as fast when the small output
    # (C*kh*kw, O) has O, the few output channels, innermost; transposing that result is cheap
    grad_w_t = np.matmul(_by_group(cols, groups), _by_group(grad_y, groups).transpose(0, 2, 1))
    return grad_w_t.transpose(0, 2, 1).reshape(shape)


class ConvolutionFunction(Function):
    """y = W · im2col(x) + b on (N, C, H, W) maps; W is (O, C/groups, kh, kw).
    Textbook twins: npgrad.textbook.Conv2dLoopsFunction and npgrad.textbook.Conv2dIm2colFunction."""

    def forward(self, x, weight, bias, *, window, groups):
        self.x, self.weight, self.window, self.groups = x, weight, window, groups
        n, kernel = x.shape[0], _kernel_matrix(weight, groups)
        y = np.empty((weight.shape[0], window.out[0] * window.out[1] * n), x.dtype)
        for part, cols in _chunks(window, x.shape[1], n, x.dtype, _padded_chwn(x, window)):
            _apply_kernel(kernel, cols, groups, out=_columns(y, part, self.window, n))
        if bias is not None:
            y += bias[:, None]
        return _from_matrix(y, *window.out, n)

    def backward(self, grad):
        grad_y, n, window = _as_matrix(grad), self.x.shape[0], self.window  # grad_y: (O, OH*OW*N)
        kernel, (need_x, need_w) = _kernel_matrix(self.weight, self.groups), self.needs_input_grad[:2]
        grad_w = np.zeros_like(self.weight) if need_w else None
        grad_padded = np.zeros((self.x.shape[1],) + window.padded + (n,), grad.dtype) if need_x else None
        padded = _padded_chwn(self.x, window) if need_w else None  # cols made again (see the docstring)
        for part, cols in _chunks(window, self.x.shape[1], n, grad.dtype, padded):
            grad_y_part = _columns(grad_y, part, window, n)
            if need_w:  # dL/dW = dL/dy · cols^T, summed over the chunks
                grad_w += _kernel_grad(grad_y_part, cols, self.groups, self.weight.shape)
            if need_x:  # dL/dx = col2im(W^T · dL/dy), written over cols, now unused
                _apply_kernel_transposed(kernel, grad_y_part, self.groups, out=cols)
                col2im(cols, window, part, grad_padded)
        grad_x = _interior(grad_padded, window) if need_x else None
        grad_b = grad_y.sum(axis=1) if self.needs_input_grad[2] else None  # dL/db: dL/dy summed over positions
        return grad_x, grad_w, grad_b


class TransposedConvolutionFunction(Function):
    """y = col2im(W^T · x) + b: the adjoint of a Convolution whose weight W (C_in, C_out/groups,
    kh, kw) maps C_out channels to C_in; `window` is that convolution's, on the output plane."""

    def forward(self, x, weight, bias, *, window, groups):
        self.x, self.weight, self.window, self.groups = x, weight, window, groups
        n, x_matrix, channels = x.shape[0], _as_matrix(x), weight.shape[1] * groups
        padded = np.zeros((channels,) + window.padded + (n,), x.dtype)
        for part, cols in _chunks(window, channels, n, x.dtype):
            _apply_kernel_transposed(_kernel_matrix(weight, groups), _columns(x_matrix, part, window, n), groups, cols)
            col2im(cols, window, part, padded)
        y = _interior(padded, window)
        if bias is not None:
            y += bias[:, None, None]
        return y

    def backward(self, grad):
        n, window, (need_x, need_w) = grad.shape[0], self.window, self.needs_input_grad[:2]
        kernel, x_matrix = _kernel_matrix(self.weight, self.groups), _as_matrix(self.x)
        grad_x = np.empty_like(x_matrix) if need_x else None
        grad_w = np.zeros_like(self.weight) if need_w else None
        for part, cols in _chunks(window, grad.shape[1], n, grad.dtype, _padded_chwn(grad, window)):
            if need_x:  # dL/dx = W · im2col(dL/dy): a convolution of the gradient
                _apply_kernel(kernel, cols, self.groups, out=_columns(grad_x, part, window, n))
            if need_w:  # dL/dW = x · im2col(dL/dy)^T, summed over the chunks
                grad_w += _kernel_grad(_columns(x_matrix, part, window, n), cols, self.groups, self.weight.shape)
        grad_x = _from_matrix(grad_x, *window.out, n) if need_x else None
        grad_b = grad.sum(axis=(0, 2, 3)) if self.needs_input_grad[2] else None  # dL/db: dL/dy summed over positions
        return grad_x, grad_w, grad_b


# --------------------------------------------------------------------------- checks and geometry
def _check_operands(where, dims, input, weight, bias, groups, transposed):
    if weight.ndim != dims + 2:
        raise ValueError(f"{where}: expected a {dims + 2}-D weight, got weight of shape {tuple(weight.shape)}")
    if weight.shape[0] == 0:
        raise ValueError(
            f"{where}: expected a weight with at least 1 row in dimension 0, got weight of shape {tuple(weight.shape)}"
        )
    dtypes = [input.dtype, weight.dtype] + ([] if bias is None else [bias.dtype])
    if len(set(dtypes)) > 1 or input.dtype.kind != "f":  # a float64 input would make everything float64
        raise TypeError(
            f"{where}: input, weight and bias must have the same floating dtype, got {', '.join(map(str, dtypes))}"
        )
    if not isinstance(groups, (int, np.integer)) or groups < 1 or weight.shape[0] % groups:
        raise ValueError(
            f"{where}: groups must be a positive int dividing the weight's first "
            f"dimension, got groups={groups} for weight of shape {tuple(weight.shape)}"
        )
    # a conv weight is (out, in/groups, *kernel), a transposed conv's (in, out/groups, *kernel)
    in_channels, out_channels = weight.shape[0], weight.shape[1] * groups
    if not transposed:
        in_channels, out_channels = out_channels, in_channels
    if input.ndim in (dims + 1, dims + 2) and input.shape[-dims - 1] != in_channels:
        raise ValueError(
            f"{where}: expected input with {in_channels} channels, got input of shape {tuple(input.shape)}"
        )
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ValueError(f"{where}: expected a bias of shape ({out_channels},), got {tuple(bias.shape)}")


def _padding(where, padding, dims, kernel, stride, dilation):
    """(pad_before, pad_after) per axis from an int, a tuple, 'valid' or 'same'."""
    if padding == "valid":
        return (0,) * dims, (0,) * dims
    if padding == "same":  # d (k - 1) in total, the odd one on the far side, as PyTorch
        if any(s != 1 for s in stride):
            raise ValueError(f"{where}: padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)
    if isinstance(padding, str):
        raise ValueError(f"{where}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
    pad = _explicit_padding(where, padding, dims)
    return pad, pad


def _explicit_padding(where, padding, dims):
    pad = expand(padding, dims, "padding", where)
    if min(pad) < 0:
        raise ValueError(f"{where}: padding must be non-negative, got padding={padding!r}")
    return pad


def _planar_weight(weight, dims):
    return weight if dims == 2 else weight.unsqueeze(2)  # (O, C, k) -> (O, C, 1, k)


# --------------------------------------------------------------------------- public API
def convolution(
    where: object,
    dims: int,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _size_any_t = 1,
    padding: _size_any_t | str = 0,
    dilation: _size_any_t = 1,
    groups: int = 1,
) -> Tensor:
    """conv1d (dims=1) and conv2d (dims=2); errors name `where` (the op or the layer)."""
    _check_operands(where, dims, input, weight, bias, groups, transposed=False)
    kernel = tuple(weight.shape[2:])
    stride, dilation = expand(stride, dims, "stride", where), expand(dilation, dims, "dilation", where)
    check_positive(where, kernel_size=kernel, stride=stride, dilation=dilation)
    pad_before, pad_after = _padding(where, padding, dims, kernel, stride, dilation)
    x, batch = as_planes(where, input, dims)
    window = make_window(where, dims, input.shape, kernel, stride, dilation, pad_before, pad_after)
    y = ConvolutionFunction.apply(x, _planar_weight(weight, dims), bias, window=window, groups=groups)
    return from_planes(y, batch, dims)


def transposed_convolution(
    where: object,
    dims: int,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _size_any_t = 1,
    padding: _size_any_t = 0,
    output_padding: _size_any_t = 0,
    groups: int = 1,
    dilation: _size_any_t = 1,
) -> Tensor:
    """conv_transpose1d and conv_transpose2d; errors name `where` (the op or the layer)."""
    _check_operands(where, dims, input, weight, bias, groups, transposed=True)
    kernel = tuple(weight.shape[2:])
    stride, dilation = expand(stride, dims, "stride", where), expand(dilation, dims, "dilation", where)
    check_positive(where, kernel_size=kernel, stride=stride, dilation=dilation)
    pad = _explicit_padding(where, padding, dims)
    extra = expand(output_padding, dims, "output_padding", where)
    if any(e >= max(s, d) or e < 0 for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(
            f"{where}: output_padding must be smaller than either stride or dilation, "
            f"got output_padding={extra}, stride={stride}, dilation={dilation}"
        )
    x, batch = as_planes(where, input, dims)
    # H_out = (H - 1) s - 2 p + d (k - 1) + output_padding + 1; the convolution this is the
    # adjoint of slides over (H_out, W_out), padded by p, and gives back (H, W) windows
    size = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + e + 1
        for n, s, p, d, k, e in zip(input.shape[-dims:], stride, pad, dilation, kernel, extra)
    )
    if min(size) < 1:
        raise ValueError(f"{where}: input of shape {tuple(input.shape)} gives an empty output {size}")
    window = make_window(where, dims, (1, 1) + size, kernel, stride, dilation, pad, pad, out=input.shape[-dims:])
    y = TransposedConvolutionFunction.apply(x, _planar_weight(weight, dims), bias, window=window, groups=groups)
    return from_planes(y, batch, dims)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _size_1_t = 1,
    padding: _size_1_t | str = 0,
    dilation: _size_1_t = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution (cross-correlation, as in PyTorch) of (N, C, L) by a (O, C/groups, k) weight."""
    return convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _size_2_t = 1,
    padding: _size_2_t | str = 0,
    dilation: _size_2_t = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) of (N, C, H, W) by a (O, C/groups, kh, kw)
    weight. Output size per axis: floor((H + 2 p - d (k - 1) - 1) / s) + 1. padding may be an int,
    a pair, 'valid' (0) or 'same' (stride 1 only; with an even kernel the extra row/column of
    padding goes at the bottom/right)."""
    return convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _size_1_t = 1,
    padding: _size_1_t = 0,
    output_padding: _size_1_t = 0,
    groups: int = 1,
    dilation: _size_1_t = 1,
) -> Tensor:
    """1-D transposed convolution of (N, C_in, L) by a (C_in, C_out/groups, k) weight."""
    return transposed_convolution(
        "conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: _size_2_t = 1,
    padding: _size_2_t = 0,
    output_padding: _size_2_t = 0,
    groups: int = 1,
    dilation: _size_2_t = 1,
) -> Tensor:
    """2-D transposed convolution ("deconvolution") of (N, C_in, H, W) by a (C_in, C_out/groups,
    kh, kw) weight: the input gradient of conv2d with that weight. Output size per axis:
    (H - 1) s - 2 p + d (k - 1) + output_padding + 1."""
    return transposed_convolution(
        "conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups, dilation
    )
