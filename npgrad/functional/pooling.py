"""Pooling: max and average over sliding windows (1-D and 2-D), adaptive average and max pooling.

Windowed pooling loops over the kh*kw kernel offsets, never over pixels: the pixel at offset
(i, j) of every window is one strided view of the padded input (see _windows.py), so a 2x2
max pool is three np.maximum calls over whole arrays. Results keep the input's memory layout.
1-D pooling is 2-D pooling on planes of height 1. Inputs may be unbatched, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backends import numba as numba_backend
from ..tensor import Tensor
from ..types import _size_1_t, _size_2_t, _size_any_t
from ._windows import (
    as_planes,
    check_positive,
    expand,
    from_planes,
    in_layout_of,
    make_window,
    pad_planes,
    window_count,
)


def _window_max(padded, window):
    """Each window's maximum, and `winner`: the kernel offset k (row-major) that holds it. An
    offset that strictly beats every earlier one becomes the winner, so the winner is the largest
    such k and, when values tie, the first one keeps it, as in PyTorch."""
    offsets = window.offset_slices()
    best = np.copy(padded[(..., *next(offsets))], order="K")
    winner = np.zeros_like(best, dtype=_winner_dtype(window))
    for k, (rows, cols) in enumerate(offsets, start=1):
        candidate = padded[..., rows, cols]
        np.maximum(winner, np.multiply(candidate > best, k, dtype=winner.dtype), out=winner)
        np.maximum(best, candidate, out=best)
    return best, winner


def _window_max_compiled(padded, window):
    """_window_max in one compiled pass, or None when the loops are off or the layout is not theirs."""
    fast = numba_backend.kernels(padded)
    if fast is None:
        return None
    first_offset = padded[(..., *next(window.offset_slices()))]  # the output's shape, in padded's memory order
    best, winner = np.empty_like(first_offset), np.empty_like(first_offset, dtype=_winner_dtype(window))
    planes = [_as_pool_planes(a) for a in (padded, best, winner)]
    if any(p is None for p in planes):
        return None
    fast.max_pool(planes[0], _pool_geometry(window), planes[1], planes[2])
    return best, winner


def _winner_dtype(window):
    return np.min_scalar_type(window.kernel[0] * window.kernel[1] - 1)  # the smallest that holds every offset


def _as_pool_planes(a):
    """(N, C, H, W) maps as the (P, H, W, Q) planes of the compiled max pooling loops (a view):
    (C, H, W, N) when the batch is innermost in memory, (N*C, H, W, 1) when the planes are
    contiguous; None for other layouts."""
    if a.flags.c_contiguous:
        return a.reshape(-1, *a.shape[2:], 1)
    batch_last = a.transpose(1, 2, 3, 0)
    return batch_last if batch_last.flags.c_contiguous else None


def _pool_geometry(window):
    return window.stride + window.dilation + window.kernel


class MaxPoolFunction(Function):
    """y = the largest value of each window; dL/dx gets each window's dL/dy at its maximum.
    Textbook twin: npgrad.textbook.MaxPool2dFunction."""

    def forward(self, x, *, window):
        self.window, self.padded = window, pad_planes(x, window, -np.inf)
        y, self.winner = _window_max_compiled(self.padded, window) or _window_max(self.padded, window)
        return y

    def backward(self, grad):
        grad = in_layout_of(grad, self.winner)
        # in the input's memory layout; windows that tile the plane write every pixel: no zero-filling pass
        grad_padded = (np.empty_like if self.window.tiling else np.zeros_like)(self.padded)
        planes = [_as_pool_planes(a) for a in (grad, self.winner, grad_padded)]
        fast = numba_backend.kernels(grad_padded, grad) if all(p is not None for p in planes) else None
        if fast is not None:  # the same, in one compiled pass
            fast.max_pool_backward(
                planes[0], planes[1], _pool_geometry(self.window), self.window.overlapping, planes[2]
            )
            return grad_padded[(..., *self.window.interior())]
        for k, (rows, cols) in enumerate(self.window.offset_slices()):
            target = grad_padded[..., rows, cols]
            if self.window.overlapping:  # dL/dx = dL/dy where x won, summed over x's windows
                target += grad * (self.winner == k)
            else:  # each pixel is in one window at most: write, no need to read and add
                np.multiply(grad, self.winner == k, out=target)
        return grad_padded[(..., *self.window.interior())]


class AvgPoolFunction(Function):
    """y = (sum of each window) / divisor, divisor an (OH, OW) array of window sizes."""

    def forward(self, x, *, window, divisor):
        self.window, self.divisor, self.padded = window, divisor, pad_planes(x, window, 0)
        offsets = window.offset_slices()
        total = np.copy(self.padded[(..., *next(offsets))], order="K")
        for rows, cols in offsets:
            total += self.padded[..., rows, cols]
        total /= divisor
        return total

    def backward(self, grad):
        share = in_layout_of(grad, self.padded) / self.divisor  # dL/dx = dL/dy / divisor, per window pixel
        grad_padded = np.zeros_like(self.padded)
        for rows, cols in self.window.offset_slices():
            grad_padded[..., rows, cols] += share  # overlapping windows add up
        return grad_padded[(..., *self.window.interior())]


class PlaneMapFunction(Function):
    """y = R x C^T for every (n, c) plane: its rows mapped by R (OH, H), its columns by C (OW, W).
    Adaptive average pooling (R and C average bins) and linear interpolation (R and C weigh
    the two nearest pixels, F.interpolate) are both such a map."""

    def forward(self, x, *, rows, cols):
        self.rows, self.cols = rows, cols
        return rows @ x @ cols.T

    def backward(self, grad):
        return self.rows.T @ grad @ self.cols  # dL/dx = R^T dL/dy C


class AdaptiveMaxPoolFunction(Function):
    """y[n, c, i, j] = x[n, c] at indices[n, c, i, j], the maximum's place in the flattened plane."""

    def forward(self, x, indices):
        n, c = x.shape[:2]
        self.shape, self.indices = x.shape, indices.reshape(n, c, -1)
        return np.take_along_axis(x.reshape(n, c, -1), self.indices, -1).reshape(indices.shape)

    def backward(self, grad):  # dL/dx = dL/dy at each bin's maximum, summed where bins overlap
        n, c, h, w = self.shape
        out = np.zeros((n, c, h * w), grad.dtype)
        planes = np.ogrid[:n, :c, :1]
        np.add.at(out, (planes[0], planes[1], self.indices), grad.reshape(n, c, -1))
        return out.reshape(self.shape), None


def _bin_argmax(x, rows, cols):
    """The index, in the flattened (H * W) plane, of the first maximum of every bin: one pass
    over the output grid (whole arrays at a time), never over pixels."""
    n, c, h, w = x.shape
    indices = np.empty((n, c, len(rows), len(cols)), np.int64)
    for i, (top, bottom) in enumerate(rows):
        for j, (left, right) in enumerate(cols):
            at = np.argmax(x[:, :, top:bottom, left:right].reshape(n, c, -1), axis=-1)
            indices[:, :, i, j] = (top + at // (right - left)) * w + left + at % (right - left)
    return indices


# --------------------------------------------------------------------------- geometry
def _pool_window(where, dims, input, kernel_size, stride, padding, dilation, ceil_mode):
    if input.dtype.kind != "f":
        raise TypeError(f"{where}: expected a floating input, got {input.dtype}")
    kernel = expand(kernel_size, dims, "kernel_size", where)
    stride = kernel if stride in (None, (), []) else expand(stride, dims, "stride", where)
    pad, dilation = expand(padding, dims, "padding", where), expand(dilation, dims, "dilation", where)
    check_positive(where, kernel_size=kernel, stride=stride, dilation=dilation)
    if any(p > k // 2 or p < 0 for p, k in zip(pad, kernel)):
        raise ValueError(
            f"{where}: padding must be between 0 and half of kernel_size, got padding={pad} for kernel_size={kernel}"
        )
    out, pad_after = [], []
    for n, k, s, p, d in zip(input.shape[-dims:], kernel, stride, pad, dilation):
        count = window_count(n, d * (k - 1) + 1, s, 2 * p, ceil_mode)
        if ceil_mode and (count - 1) * s >= n + p:  # the last window must start in the input or left pad
            count -= 1
        out.append(count)
        pad_after.append(max(p, (count - 1) * s + d * (k - 1) + 1 - n - p))  # room for ceil_mode's last
    return make_window(
        where,
        dims,
        input.shape,
        kernel,
        stride,
        dilation,
        pad,
        tuple(pad_after),
        out=tuple(out) if min(out) > 0 else None,
    )


def _window_sizes(n, kernel, stride, pad, out, count_include_pad):
    """How many pixels each of `out` windows averages along one axis: windows are cut at the
    padded border (ceil_mode's last one may overhang it), and at the input's when padding
    does not count."""
    start = np.arange(out) * stride - pad
    end = np.minimum(start + kernel, n + pad)
    if not count_include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, n)
    return end - start


def _bins(size, out):
    """The start and end of the out bins that cover size: [floor(i size / out), ceil((i + 1) size / out))."""
    i = np.arange(out)
    return i * size // out, -(-(i + 1) * size // out)


def _average_matrix(size, out, dtype):
    """(out, size): row i averages the inputs of bin i."""
    start, end = _bins(size, out)
    inside = (np.arange(size) >= start[:, None]) & (np.arange(size) < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


# --------------------------------------------------------------------------- public API
def max_pool(
    where: object,
    dims: int,
    input: Tensor,
    kernel_size: _size_any_t,
    stride: _size_any_t | None = None,
    padding: _size_any_t = 0,
    dilation: _size_any_t = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """max_pool1d (dims=1) and max_pool2d (dims=2); errors name `where` (the op or the layer)."""
    x, batch = as_planes(where, input, dims)
    window = _pool_window(where, dims, input, kernel_size, stride, padding, dilation, ceil_mode)
    y = from_planes(MaxPoolFunction.apply(x, window=window), batch, dims)
    if not return_indices:
        return y
    _, winner = _window_max(pad_planes(x._data, window, -np.inf), window)
    return y, Tensor(_flat_indices(winner, window).reshape(y.shape))


def _flat_indices(winner, window):
    """Where each maximum sits in its input plane, as an index into the flattened (H, W) plane."""
    kw, (sh, sw), (dh, dw), (top, left) = window.kernel[1], window.stride, window.dilation, window.pad_before
    row = np.arange(window.out[0])[:, None] * sh - top + (winner // kw) * dh  # offset k: (k // kw, k % kw)
    col = np.arange(window.out[1]) * sw - left + (winner % kw) * dw
    return (row * window.size[1] + col).astype(np.int64)


def avg_pool(
    where: object,
    dims: int,
    input: Tensor,
    kernel_size: _size_any_t,
    stride: _size_any_t | None = None,
    padding: _size_any_t = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """avg_pool1d and avg_pool2d; errors name `where` (the op or the layer)."""
    x, batch = as_planes(where, input, dims)
    window = _pool_window(where, dims, input, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError(f"{where}: divisor_override must not be zero")
        divisor = np.full(window.out, divisor_override, x.dtype)
    else:
        sizes = [
            _window_sizes(n, k, s, p, o, count_include_pad)
            for n, k, s, p, o in zip(window.size, window.kernel, window.stride, window.pad_before, window.out)
        ]
        divisor = np.outer(*sizes).astype(x.dtype)
    return from_planes(AvgPoolFunction.apply(x, window=window, divisor=divisor), batch, dims)


def max_pool1d(
    input: Tensor,
    kernel_size: _size_1_t,
    stride: _size_1_t | None = None,
    padding: _size_1_t = 0,
    dilation: _size_1_t = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over windows of (N, C, L); stride defaults to kernel_size."""
    return max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(
    input: Tensor,
    kernel_size: _size_2_t,
    stride: _size_2_t | None = None,
    padding: _size_2_t = 0,
    dilation: _size_2_t = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over windows of (N, C, H, W); stride defaults to kernel_size; padding (at most half
    the kernel) is -inf. ceil_mode rounds the window count up, as long as the last window starts
    inside the input or its left padding. return_indices also gives each maximum's index in
    its flattened input plane (int64), as PyTorch does."""
    return max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool1d(
    input: Tensor,
    kernel_size: _size_1_t,
    stride: _size_1_t | None = None,
    padding: _size_1_t = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over windows of (N, C, L); see avg_pool2d."""
    return avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(
    input: Tensor,
    kernel_size: _size_2_t,
    stride: _size_2_t | None = None,
    padding: _size_2_t = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over windows of (N, C, H, W). Zero padding counts in the mean when
    count_include_pad; the part of a ceil_mode window beyond the padding never does."""
    return avg_pool(
        "avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def _adaptive_planes(where, input, output_size):
    """input as (N, C, H, W) planes, its batch shape, and the (OH, OW) output size."""
    x, batch = as_planes(where, input, 2)
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    out = tuple(n if o is None else o for n, o in zip(x.shape[2:], sizes))
    if len(sizes) != 2 or not all(isinstance(o, (int, np.integer)) and o > 0 for o in out):
        raise ValueError(
            f"{where}: output_size must be a positive int or a pair of positive ints (or None), got {output_size!r}"
        )
    if input.dtype.kind != "f":
        raise TypeError(f"{where}: expected a floating input, got {input.dtype}")
    return x, batch, out


def adaptive_avg_pool(where: object, input: Tensor, output_size: int | tuple[int | None, int | None]) -> Tensor:
    """adaptive_avg_pool2d; errors name `where` (the op or the layer)."""
    x, batch, out = _adaptive_planes(where, input, output_size)
    rows, cols = (_average_matrix(n, o, x.dtype) for n, o in zip(x.shape[2:], out))
    return from_planes(PlaneMapFunction.apply(x, rows=rows, cols=cols), batch, 2)


def adaptive_max_pool(
    where: object, input: Tensor, output_size: int | tuple[int | None, int | None], return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """adaptive_max_pool2d; errors name `where` (the op or the layer)."""
    x, batch, out = _adaptive_planes(where, input, output_size)
    rows, cols = (list(zip(*(b.tolist() for b in _bins(n, o)))) for n, o in zip(x.shape[2:], out))
    indices = _bin_argmax(x._data, rows, cols)
    values = from_planes(AdaptiveMaxPoolFunction.apply(x, indices), batch, 2)
    return (values, from_planes(Tensor(indices), batch, 2)) if return_indices else values


def adaptive_avg_pool2d(input: Tensor, output_size: int | tuple[int | None, int | None]) -> Tensor:
    """Mean over an (OH, OW) grid of nearly equal bins covering (N, C, H, W) or (C, H, W);
    output_size is an int, or a pair whose None entries keep the input's size."""
    return adaptive_avg_pool("adaptive_avg_pool2d", input, output_size)


def adaptive_avg_pool1d(input: Tensor, output_size: int | tuple[int]) -> Tensor:
    """Mean over output_size nearly equal bins covering (N, C, L) or (C, L): adaptive_avg_pool2d
    on planes of height 1."""
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    x, batch = as_planes("adaptive_avg_pool1d", input, 1)
    return from_planes(adaptive_avg_pool("adaptive_avg_pool1d", x, (1, size)), batch, 1)


def adaptive_max_pool2d(
    input: Tensor, output_size: int | tuple[int | None, int | None], return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over an (OH, OW) grid of nearly equal bins covering (N, C, H, W) or (C, H, W), as
    adaptive_avg_pool2d; return_indices also gives each maximum's index in its flattened plane."""
    return adaptive_max_pool("adaptive_max_pool2d", input, output_size, return_indices)
