"""Ops on feature maps beside conv and pooling: channel dropout (dropout1d, dropout2d),
resizing (interpolate: nearest neighbour, linear and bilinear), and unfold / fold (im2col and
col2im as ops of their own)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from ..autograd import Function
from ..random import default_generator
from ..tensor import Tensor
from ._windows import as_plane_pair, make_window, pad_planes
from .pooling import PlaneMapFunction


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """While training, zero whole channels of (N, C, H, W) input (or (N, C, L), as PyTorch does
    for 3-D input; other shapes warn as in PyTorch, and (N, C) drops single entries) with probability p and scale the kept ones by 1 / (1 - p); the identity
    otherwise. The mask is one number per (sample, channel), broadcast over the map.
    `inplace` is accepted for PyTorch compatibility; the result is always a new tensor."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout2d: p must be a probability in [0, 1], got {p}")
    if input.ndim < 2:
        raise ValueError(
            f"dropout2d: expected a 4-D input (N, C, H, W) or a 3-D one (N, C, L), got "
            f"input of shape {tuple(input.shape)}"
        )
    if input.ndim not in (3, 4):  # PyTorch's warning; it then drops each (sample, channel) entry
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior and "
            "silence this warning, please use dropout instead. Note that dropout2d exists to "
            "provide channel-wise dropout on inputs with 2 spatial dimensions, a channel "
            "dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=3,
        )
    return _drop_channels(input, p, training, input.shape[:2] + (1,) * (input.ndim - 2))


def _drop_channels(input, p, training, mask_shape):
    """input * mask / (1 - p) in training, one Bernoulli(1 - p) number per entry of mask_shape."""
    if not training or p == 0:
        return input
    keep = default_generator().random(mask_shape, dtype=np.float32) >= p
    mask = keep.astype(input.dtype) * (1 / (1 - p) if p < 1 else 0.0)
    return input * Tensor(mask)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """While training, zero whole channels of (N, C, L) or unbatched (C, L) input with
    probability p and scale the kept ones by 1 / (1 - p); the identity otherwise.
    `inplace` is accepted for PyTorch compatibility; the result is always a new tensor."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout1d: p must be a probability in [0, 1], got {p}")
    if input.ndim not in (2, 3):
        raise ValueError(
            f"dropout1d: expected a 3-D input (N, C, L) or a 2-D unbatched one (C, L), got "
            f"input of shape {tuple(input.shape)}"
        )
    return _drop_channels(input, p, training, input.shape[:-1] + (1,))


class NearestResizeFunction(Function):
    """y[..., i, j] = x[..., rows[i], cols[j]]: each output pixel copies its nearest source pixel."""

    def forward(self, x, *, sources):
        self.sources, self.in_shape = sources, x.shape
        for axis, source in enumerate(sources, start=x.ndim - len(sources)):
            x = np.take(x, source, axis=axis)
        return x

    def backward(self, grad):
        # dL/dx[p] = sum of dL/dy over the output pixels that copied p
        for axis, source in enumerate(self.sources, start=grad.ndim - len(self.sources)):
            grad = _sum_copies(grad, source, axis, self.in_shape[axis])
        return grad


def _sum_copies(grad, source, axis, size):
    """Along `axis`, add up the gradient of every output that copied the same input. source is
    sorted, so the copies of one input are a run: np.add.reduceat sums each run."""
    run_starts = np.flatnonzero(np.diff(source, prepend=-1))
    sums = np.add.reduceat(grad, run_starts, axis=axis)
    if len(run_starts) == size:  # every input was copied (upsampling)
        return sums
    out = np.zeros(grad.shape[:axis] + (size,) + grad.shape[axis + 1 :], grad.dtype)
    out[(slice(None),) * axis + (source[run_starts],)] = sums
    return out


def _nearest_sources(in_size, out_size, scale_factor):
    """PyTorch's 'nearest' rule: output i copies input floor(i * scale), scale = 1 / scale_factor
    when one is given and in_size / out_size otherwise, computed in float32."""
    scale = np.float32(1 / scale_factor) if scale_factor else np.float32(in_size) / np.float32(out_size)
    source = np.floor(np.arange(out_size, dtype=np.float32) * scale).astype(np.int64)
    return np.minimum(source, in_size - 1)


def interpolate(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
) -> Tensor:
    """Resize the spatial dims of (N, C, L) or (N, C, H, W) input to `size`, or by `scale_factor`
    (output size floor(in * factor)), as torch's: mode 'nearest' copies the nearest pixel,
    'linear' (N, C, L) and 'bilinear' (N, C, H, W) weigh the two nearest pixels along each axis;
    align_corners=True maps the corner pixels onto each other, False (the default) the edges."""
    if mode not in _INTERPOLATION_DIMS:
        raise ValueError(f"interpolate: mode must be one of {sorted(_INTERPOLATION_DIMS)}, got {mode!r}")
    if input.ndim not in _INTERPOLATION_DIMS[mode]:
        raise ValueError(
            f"interpolate: mode={mode!r} expects a {' or '.join(f'{n}-D' for n in _INTERPOLATION_DIMS[mode])} "
            f"input, got input of shape {tuple(input.shape)}"
        )
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners can only be set with the interpolating modes linear and bilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    spatial = tuple(input.shape[2:])
    if size is not None:
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * len(spatial)
        factors = (None,) * len(spatial)
    else:
        many = isinstance(scale_factor, (tuple, list))
        factors = tuple(scale_factor) if many else (scale_factor,) * len(spatial)
        sizes = tuple(math.floor(n * f) for n, f in zip(spatial, factors))
        factors = (None,) * len(spatial) if recompute_scale_factor else factors
    if len(sizes) != len(spatial) or min(sizes) < 1:
        raise ValueError(f"interpolate: cannot resize input of shape {tuple(input.shape)} to {sizes}")
    if mode == "nearest":
        sources = tuple(_nearest_sources(n, m, f) for n, m, f in zip(spatial, sizes, factors))
        return NearestResizeFunction.apply(input, sources=sources)
    maps = [_linear_weights(n, m, f, bool(align_corners), input.dtype) for n, m, f in zip(spatial, sizes, factors)]
    if mode == "linear":  # a plane of one row
        return PlaneMapFunction.apply(input.unsqueeze(2), rows=np.ones((1, 1), input.dtype), cols=maps[0]).squeeze(2)
    return PlaneMapFunction.apply(input, rows=maps[0], cols=maps[1])


_INTERPOLATION_DIMS = {"nearest": (3, 4), "linear": (3,), "bilinear": (4,)}


def _linear_weights(in_size, out_size, scale_factor, align_corners, dtype):
    """(out_size, in_size) weights of linear interpolation along one axis, PyTorch's rule in
    float32: output i reads the source point s = i (in - 1) / (out - 1) with align_corners,
    else s = max((i + 1/2) scale - 1/2, 0), scale = 1 / scale_factor when one is given and
    in / out otherwise; s lies between pixels floor(s) and floor(s) + 1 (the last pixel at the
    end), weighted 1 - frac(s) and frac(s)."""
    out = np.arange(out_size, dtype=np.float32)
    if align_corners:
        source = out * np.float32((in_size - 1) / (out_size - 1) if out_size > 1 else 0)
    else:
        scale = np.float32(1 / scale_factor) if scale_factor else np.float32(in_size) / np.float32(out_size)
        source = np.maximum((out + np.float32(0.5)) * scale - np.float32(0.5), np.float32(0))
    lower = np.minimum(source.astype(np.int64), in_size - 1)
    upper = np.minimum(lower + 1, in_size - 1)
    fraction = source - lower
    weights = np.zeros((out_size, in_size), np.float32)
    weights[np.arange(out_size), lower] = 1 - fraction
    weights[np.arange(out_size), upper] += fraction  # at the last pixel, lower = upper: the weights add to 1
    return weights.astype(dtype)


# ------------------------------------------------------------------ unfold and fold: im2col and col2im
class UnfoldFunction(Function):
    """y[n, (c, i, j), (oh, ow)] = padded x[n, c, oh*sh + i*dh, ow*sw + j*dw]: every window of the
    planes as a column (im2col). Backward adds each column back where it came from (col2im)."""

    def forward(self, x, *, window):
        self.window, self.in_shape = window, x.shape
        padded = pad_planes(x, window, 0)
        columns = np.stack([padded[..., rows, cols] for rows, cols in window.offset_slices()], axis=2)
        return columns.reshape(x.shape[0], -1, window.out[0] * window.out[1])  # (N, C kh kw, L)

    def backward(self, grad):
        return _fold_columns(grad, self.window, self.in_shape)


class FoldFunction(Function):
    """The adjoint of unfold: columns (N, C kh kw, L) summed into (N, C, H, W) planes (col2im),
    overlapping windows adding up. Backward takes the columns of the gradient (im2col)."""

    def forward(self, columns, *, window, out_shape):
        self.window = window
        return _fold_columns(columns, window, out_shape)

    def backward(self, grad):
        padded = pad_planes(grad, self.window, 0)
        columns = np.stack([padded[..., rows, cols] for rows, cols in self.window.offset_slices()], axis=2)
        return columns.reshape(grad.shape[0], -1, self.window.out[0] * self.window.out[1])


def _fold_columns(columns, window, out_shape):
    """Add every column of (N, C kh kw, L) onto the pixels of its window in zero (N, C, H, W) planes."""
    n, c = out_shape[:2]
    offsets = window.kernel[0] * window.kernel[1]
    blocks = columns.reshape(n, c, offsets, *window.out)
    padded = np.zeros((n, c, *window.padded), columns.dtype)
    for k, (rows, cols) in enumerate(window.offset_slices()):
        padded[..., rows, cols] += blocks[:, :, k]  # overlapping windows add up
    return padded[(..., *window.interior())]


def _unfold_window(where, plane, kernel_size, dilation, padding, stride):
    kernel, dilation, padding, stride = (
        as_plane_pair(v if isinstance(v, (tuple, list)) else (v,) * 2, 1)
        for v in (kernel_size, dilation, padding, stride)
    )
    return make_window(where, 2, plane, kernel, stride, dilation, padding, padding)


def unfold(
    input: Tensor,
    kernel_size: int | tuple[int, int],
    dilation: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    stride: int | tuple[int, int] = 1,
) -> Tensor:
    """im2col: every kernel_size window of (N, C, H, W) input as a column of an (N, C kh kw, L)
    tensor, L the number of windows. A convolution is then a matrix product:
    (weight.view(O, -1) @ unfold(x, k)).view(N, O, OH, OW) equals conv2d(x, weight)."""
    if input.ndim != 4:
        raise ValueError(f"unfold: expected a 4-D input (N, C, H, W), got input of shape {tuple(input.shape)}")
    window = _unfold_window("unfold", input.shape, kernel_size, dilation, padding, stride)
    return UnfoldFunction.apply(input, window=window)


def fold(
    input: Tensor,
    output_size: int | tuple[int, int],
    kernel_size: int | tuple[int, int],
    dilation: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    stride: int | tuple[int, int] = 1,
) -> Tensor:
    """col2im, the adjoint of unfold: columns (N, C kh kw, L) summed into (N, C, H, W) planes of
    output_size, where windows overlap the values adding up."""
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    kernel = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
    channels, rest = divmod(input.shape[1], kernel[0] * kernel[1])
    window = _unfold_window("fold", (input.shape[0], channels, *size), kernel, dilation, padding, stride)
    if input.ndim != 3 or rest or input.shape[2] != window.out[0] * window.out[1]:
        raise ValueError(
            f"fold: expected input (N, C * {kernel[0] * kernel[1]}, {window.out[0] * window.out[1]}) for "
            f"output_size {size} and kernel_size {kernel}, got shape {tuple(input.shape)}"
        )
    return FoldFunction.apply(input, window=window, out_shape=(input.shape[0], channels, *size))
