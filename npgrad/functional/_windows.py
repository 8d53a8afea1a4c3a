"""Sliding windows over (H, W) planes: the arithmetic and the views shared by conv and pooling,
and `in_layout_of`, which lines an array up with another's memory order.

A `Window` says where a kernel's windows sit on a plane: kernel size, stride, dilation, padding
and the number of windows along each axis. Every kernel offset (i, j) reads one strided slice
of the padded plane (the pixel at that offset in every window), so conv and pooling are written
as loops over the kh*kw offsets, each a whole-array NumPy operation, and never over pixels.

1-D ops run as 2-D ones on planes of height 1: `as_planes` turns (N, C, L) into (N, C, 1, L).
"""

from dataclasses import dataclass

import numpy as np


def expand(value, n, name, where):
    """An int or a sequence of n ints as a tuple of n ints (PyTorch's _pair / _single)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(values) != n or not all(isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"{where}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return tuple(int(v) for v in values)


def check_positive(where, **sizes):
    """A ValueError naming the op and the value when a kernel_size, stride or dilation is < 1."""
    for name, values in sizes.items():
        if min(values) < 1:
            raise ValueError(f"{where}: {name} must be positive, got {name}={values}")


def as_plane_pair(values, fill):
    """Per-axis values of a 1-D op, (v,), as the (height, width) pair of its height-1 plane."""
    return (fill,) + values if len(values) == 1 else values


def window_count(size, extent, stride, pad_total, ceil_mode=False):
    """How many windows of `extent` = d (k - 1) + 1 pixels fit, stepping by `stride`:
    floor((size + pad_total - extent) / stride) + 1, or ceil(...) + 1 in ceil_mode."""
    span = size + pad_total - extent
    if ceil_mode:
        return -(-span // stride) + 1
    return span // stride + 1


@dataclass(frozen=True)
class Window:
    """Windows on a plane; every field is a (height, width) pair."""

    kernel: tuple
    stride: tuple
    dilation: tuple
    pad_before: tuple  # rows added on top, columns on the left
    pad_after: tuple  # bottom, right: may differ (padding='same' with even kernels, ceil_mode)
    size: tuple  # the plane, unpadded
    out: tuple  # windows along each axis

    @property
    def padded(self):
        return tuple(b + n + a for b, n, a in zip(self.pad_before, self.size, self.pad_after))

    @property
    def extent(self):
        """Pixels a dilated kernel spans: d (k - 1) + 1."""
        return tuple(d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel))

    @property
    def overlapping(self):
        """Whether some pixels fall in several windows (stride < extent)."""
        return any(s < e for s, e in zip(self.stride, self.extent))

    @property
    def tiling(self):
        """Whether the windows cover every pixel of the padded plane exactly once."""
        fields = zip(self.kernel, self.dilation, self.stride, self.out, self.padded)
        return all(d == 1 and s == k and o * s == p for k, d, s, o, p in fields)

    def offset_slices(self, out_rows=None, out_cols=None):
        """For each kernel offset (i, j), in row-major order: the (rows, cols) slices of the
        padded plane holding that offset's pixel of every window, an (OH, OW) strided view;
        of the windows in rows [first, last) of the output only when out_rows = (first, last),
        and in its columns [first, last) only when out_cols = (first, last)."""
        (kh, kw), (dh, dw), (sh, sw), (oh, ow) = self.kernel, self.dilation, self.stride, self.out
        (first, last), (left, right) = out_rows or (0, oh), out_cols or (0, ow)
        for i in range(kh):
            for j in range(kw):
                rows = slice(first * sh + i * dh, (last - 1) * sh + i * dh + 1, sh)
                yield rows, slice(left * sw + j * dw, (right - 1) * sw + j * dw + 1, sw)

    def interior(self):
        """The (rows, cols) slices of the padded plane that hold the unpadded plane."""
        return tuple(slice(b, b + n) for b, n in zip(self.pad_before, self.size))


def make_window(where, dims, input_shape, kernel, stride, dilation, pad_before, pad_after, out=None):
    """The Window over the plane of an input of shape (..., C, *spatial) for per-axis tuples of
    the op's `dims` (1 or 2). `out` defaults to as many windows as fit. Raises a ValueError naming
    `where` when the kernel does not fit in the padded input."""
    check_positive(where, kernel_size=kernel, stride=stride, dilation=dilation)
    spatial = tuple(input_shape[-dims:])
    extent = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    padded = tuple(b + n + a for b, n, a in zip(pad_before, spatial, pad_after))
    if any(e > p for e, p in zip(extent, padded)):
        raise ValueError(
            f"{where}: input of shape {tuple(input_shape)} is too small: expected a padded "
            f"size of at least {extent} (the kernel's extent), got {padded}"
        )
    if out is None:
        out = tuple(window_count(n, e, s, p - n) for n, e, s, p in zip(spatial, extent, stride, padded))
    return Window(
        as_plane_pair(kernel, 1),
        as_plane_pair(stride, 1),
        as_plane_pair(dilation, 1),
        as_plane_pair(pad_before, 0),
        as_plane_pair(pad_after, 0),
        as_plane_pair(spatial, 1),
        as_plane_pair(tuple(out), 1),
    )


def pad_planes(x, window, value):
    """x (..., H, W) inside a border of `value`, with x's memory layout (np.full_like keeps it);
    x itself when there is no border."""
    if window.padded == window.size:
        return x
    padded = np.full_like(x, value, shape=x.shape[:-2] + window.padded)
    padded[(..., *window.interior())] = x
    return padded


def as_planes(where, input, dims):
    """input as an (N, C, H, W) tensor, from (N, C, H, W) or unbatched (C, H, W) for dims=2, and
    from (N, C, L) or (C, L) for dims=1 (as a 1 x L plane). Returns it and the batch shape, (N,)
    or (), that `from_planes` puts back."""
    if input.ndim not in (dims + 1, dims + 2):
        layout = "(N, C, H, W)" if dims == 2 else "(N, C, L)"
        raise ValueError(
            f"{where}: expected a {dims + 2}-D input {layout} or a {dims + 1}-D unbatched "
            f"one without N, got input of shape {tuple(input.shape)}"
        )
    batch = tuple(input.shape[: input.ndim - dims - 1])
    planes = (batch[0] if batch else 1, input.shape[-dims - 1]) + as_plane_pair(tuple(input.shape[-dims:]), 1)
    return (input if planes == input.shape else input.reshape(planes)), batch


def from_planes(output, batch, dims):
    """Undo as_planes on an (N, C, OH, OW) result: drop the added batch dim or plane height."""
    shape = batch + tuple(output.shape[1:2]) + tuple(output.shape[4 - dims :])
    return output if shape == output.shape else output.reshape(shape)


def in_layout_of(values, like):
    """values in the axis memory order of `like`, an array with as many dims (copied only when
    the orders differ), so that elementwise ops between arrays laid out like `like` and values
    stream through memory instead of striding across it."""
    if np.argsort(values.strides).tolist() == np.argsort(like.strides).tolist():
        return values
    copy = np.empty_like(like, dtype=values.dtype, shape=values.shape)
    copy[...] = values
    return copy
