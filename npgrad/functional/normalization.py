"""Normalization: batch_norm, layer_norm and group_norm, each one fused Function with a
hand-written backward.

Batch norm normalises every channel (dim 1) over all the other dims, the batch and the spatial
ones: x_hat = (x - mean) / sqrt(var + eps), y = weight * x_hat + bias. Layer norm does the same
for every sample over its last dims (the features), with weight and bias per feature. Group
norm does it for every sample over each group of channels (and the spatial dims), with weight
and bias per channel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..autograd import Function
from ..backends import numba as numba_backend
from ..tensor import Tensor


def _channel_axes(x):
    return (0,) + tuple(range(2, x.ndim))  # every axis but the channels


def _per_channel(values, x):
    """A (C,) array shaped to broadcast along dim 1 of x."""
    return values.reshape((1, -1) + (1,) * (x.ndim - 2))


def _channel_order(x):
    """The axis order (C, *spatial, N) in which x's memory already runs, if it does (a conv's
    output is laid out so), else (C, N, *spatial) if that one does, else (C, *spatial, N)."""
    last = (1,) + tuple(range(2, x.ndim)) + (0,)
    first = (1, 0) + tuple(range(2, x.ndim))
    return first if x.transpose(first).flags.c_contiguous and not x.transpose(last).flags.c_contiguous else last


def _as_channel_rows(x, order):
    """x as a (C, everything else) matrix in the axis order `order`: a view when x's memory
    already runs in that order, else a copy (one pass) that does."""
    moved = np.ascontiguousarray(x.transpose(order))
    return moved.reshape(x.shape[1], -1)


def _from_channel_rows(rows, shape, order):
    """Undo _as_channel_rows: a (C, M) matrix as an array of `shape`, a view."""
    return rows.reshape(tuple(shape[axis] for axis in order)).transpose(np.argsort(order))


def _row_sums(rows):
    return rows @ np.ones(rows.shape[1], rows.dtype)  # a BLAS matrix-vector product: one fast pass


def _row_dots(a, b):
    return np.matmul(a[:, None, :], b[:, :, None]).reshape(-1)  # sum_j a[i, j] b[i, j], BLAS dots


class BatchNormFunction(Function):
    """With batch statistics (training) or with fixed running statistics (evaluation).
    In training, running_mean and running_var (when given) are updated in place:
    r = (1 - momentum) r + momentum * batch value, with the unbiased variance, as PyTorch.
    Works on x as a (C, M) matrix of rows, one per channel (a view for conv outputs), in as
    few passes over memory as NumPy allows. Textbook twin: npgrad.textbook.BatchNormFunction."""

    def forward(self, x, weight=None, bias=None, *, running_mean, running_var, training, momentum, eps):
        self.order, self.shape = _channel_order(x), x.shape
        rows = _as_channel_rows(x, self.order)
        self.training, self.count, self.weight = training, rows.shape[1], weight
        mean = _row_sums(rows) / self.count if training else running_mean
        self.centered = _subtract_per_row(rows, mean)  # x - mean, kept for backward; var from it keeps float32's digits
        var = _row_dots(self.centered, self.centered) / self.count if training else running_var
        if training and running_mean is not None:
            _update(running_mean, mean, momentum)
            _update(running_var, var * (self.count / max(self.count - 1, 1)), momentum)
        self.inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype)
        scale = self.inv_std if weight is None else weight * self.inv_std
        y = _scale_shift_rows(self.centered, scale, bias)  # y = w x_hat + b, x_hat = (x - mean) / std never made
        return _from_channel_rows(y, x.shape, self.order)

    def backward(self, grad):
        grad_rows, centered, inv_std = _as_channel_rows(grad, self.order), self.centered, self.inv_std
        sum_grad = _row_sums(grad_rows)  # dL/dbias = sum of dL/dy
        sum_grad_x_hat = _row_dots(grad_rows, centered) * inv_std  # dL/dweight = sum of dL/dy * x_hat
        grad_x = None
        if self.needs_input_grad[0]:
            scale = inv_std if self.weight is None else self.weight * inv_std
            if self.training:  # mean and var depend on x too:
                # dL/dx = w / std * (dL/dy - mean(dL/dy) - x_hat * mean(dL/dy * x_hat)), x_hat = centered / std
                centered_scale, grad_shift = -sum_grad_x_hat * inv_std / self.count, sum_grad / self.count
                grad_x = _batch_norm_grad_input(centered, grad_rows, centered_scale, grad_shift, scale)
            else:  # dL/dx = w / std * dL/dy
                grad_x = grad_rows * scale[:, None]
            grad_x = _from_channel_rows(grad_x, self.shape, self.order)
        return grad_x, sum_grad_x_hat, sum_grad


# The elementwise passes over the (C, M) rows, each one compiled loop with numba (see
# npgrad.backends.numba) or a few NumPy passes; both give the same numbers.
def _subtract_per_row(rows, row_values):
    fast = numba_backend.kernels(rows, row_values)
    if fast is None:
        return rows - row_values[:, None]
    out = np.empty(rows.shape, rows.dtype)
    fast.subtract_per_row(rows, row_values, out)
    return out


def _scale_shift_rows(rows, scale, shift):
    """rows · scale[:, None] (+ shift[:, None] when shift is not None), a new array."""
    fast = numba_backend.kernels(rows, scale, shift)
    if fast is None:
        out = rows * scale[:, None]
        if shift is not None:
            out += shift[:, None]
        return out
    out = np.empty(rows.shape, rows.dtype)
    stand_in = scale if shift is None else shift  # without a shift, scale fills its place, unread
    fast.scale_shift_rows(rows, scale, stand_in, shift is not None, out)
    return out


def _batch_norm_grad_input(centered, grad_rows, centered_scale, grad_shift, scale):
    """(centered · centered_scale + dL/dy - grad_shift) · scale, each per row."""
    fast = numba_backend.kernels(centered, grad_rows, centered_scale, grad_shift, scale)
    if fast is not None:
        out = np.empty(centered.shape, centered.dtype)
        fast.batch_norm_grad_input(centered, grad_rows, centered_scale, grad_shift, scale, out)
        return out
    grad_x = centered * centered_scale[:, None]
    grad_x += grad_rows
    grad_x -= grad_shift[:, None]
    grad_x *= scale[:, None]
    return grad_x


def _update(running, batch_value, momentum):
    running *= 1 - momentum
    running += momentum * batch_value


def batch_normalization(
    where: object,
    input: Tensor,
    running_mean: Tensor | np.ndarray | None,
    running_var: Tensor | np.ndarray | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """batch_norm; errors name `where` (the op or the layer)."""
    if input.ndim < 2 or input.dtype.kind != "f":
        raise ValueError(
            f"{where}: expected a floating input (N, C, ...) with at least 2 dims, got "
            f"{input.dtype} input of shape {tuple(input.shape)}"
        )
    channels = input.shape[1]
    stats = [s._data if isinstance(s, Tensor) else s for s in (running_mean, running_var)]
    named = (("running_mean", stats[0]), ("running_var", stats[1]), ("weight", weight), ("bias", bias))
    for name, value in named:
        if value is not None and tuple(value.shape) != (channels,):
            raise ValueError(
                f"{where}: expected {name} of shape ({channels},) for input of shape "
                f"{tuple(input.shape)}, got {tuple(value.shape)}"
            )
    if not training and (stats[0] is None or stats[1] is None):
        raise ValueError(f"{where}: running_mean and running_var are needed when training=False")
    if training and input.numel() // channels <= 1:
        raise ValueError(
            f"{where}: expected more than 1 value per channel when training, got input of shape {tuple(input.shape)}"
        )
    return BatchNormFunction.apply(
        input,
        weight,
        bias,
        running_mean=stats[0],
        running_var=stats[1],
        training=bool(training),
        momentum=float(momentum),
        eps=float(eps),
    )


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) of (N, C), (N, C, L) or (N, C, H, W) input over every other
    dim: with the batch's mean and biased variance when training (and then update running_mean
    and running_var in place, if given, with momentum and the unbiased variance), or with
    running_mean and running_var otherwise. weight and bias (C,) scale and shift the result."""
    return batch_normalization("batch_norm", input, running_mean, running_var, weight, bias, training, momentum, eps)


def _row_statistics(rows, eps):
    """rows - mean and 1 / sqrt(var + eps) of every row of a (R, D) matrix (biased variance, as
    PyTorch); the sums are BLAS products, much faster than NumPy's reductions along short rows."""
    count = rows.shape[1]
    centered = _subtract_per_row(rows, _row_sums(rows) / count)
    return centered, 1 / np.sqrt(_row_dots(centered, centered) / count + eps)


def _standardize_rows(rows, eps):
    """x_hat = (x - mean) / sqrt(var + eps) along every row of a (R, D) matrix, and 1 / std."""
    centered, inv_std = _row_statistics(rows, eps)
    centered *= inv_std[:, None]
    return centered, inv_std


def _standardize_rows_backward(g, x_hat, inv_std):
    """dL/dx = (g - mean(g) - x_hat mean(g x_hat)) / std along every row, with g = dL/dx_hat."""
    count = g.shape[1]
    g_mean, g_x_hat_mean = _row_sums(g) / count, _row_dots(g, x_hat) / count
    fast = numba_backend.kernels(g, x_hat, g_mean, g_x_hat_mean, inv_std)
    if fast is not None:  # the same, in one compiled pass
        grad_x = np.empty(g.shape, g.dtype)
        fast.layer_norm_grad_input(g, g_mean, x_hat, g_x_hat_mean, inv_std, grad_x)
        return grad_x
    grad_x = g - g_mean[:, None]
    grad_x -= x_hat * g_x_hat_mean[:, None]
    grad_x *= inv_std[:, None]
    return grad_x


def _column_dots(a, b):
    return np.einsum("ij,ij->j", a, b)  # sum_i a[i, j] b[i, j], without the product array


class LayerNormFunction(Function):
    """Normalise over the last `dims` axes of x: x_hat = (x - mean) / sqrt(var + eps),
    y = weight * x_hat + bias (weight and bias shaped like those axes). Works on x as a (R, D)
    matrix, one row per normalized group of D numbers. Textbook twin: npgrad.textbook.LayerNormFunction."""

    def forward(self, x, weight=None, bias=None, *, dims, eps):
        self.shape, self.normalized_shape = x.shape, x.shape[x.ndim - dims :]
        rows = x.reshape(math.prod(x.shape[: x.ndim - dims]), math.prod(self.normalized_shape))
        self.weight = None if weight is None else weight.reshape(-1)
        shift = None if bias is None else bias.reshape(-1)
        centered, self.inv_std = _row_statistics(rows, eps)
        self.x_hat = centered  # scaled in place into x_hat below
        fast = numba_backend.kernels(centered, self.inv_std, self.weight, shift)
        if fast is not None:  # x_hat and y in one compiled pass
            y = np.empty(centered.shape, centered.dtype)
            parts = [self.inv_std if a is None else a for a in (self.weight, shift)]  # inv_std stands in, unread
            fast.layer_norm_outputs(centered, self.inv_std, *parts, weight is not None, bias is not None, y)
            return y.reshape(x.shape)
        centered *= self.inv_std[:, None]
        # x_hat is kept for backward, so y never shares its memory
        y = self.x_hat * self.weight if weight is not None else self.x_hat.copy()
        if bias is not None:
            y += shift
        return y.reshape(x.shape)

    def backward(self, grad):
        x_hat, weight = self.x_hat, self.weight
        grad_rows = grad.reshape(x_hat.shape)
        grad_weight = grad_bias = grad_x = None
        if self.needs_input_grad[1]:  # sum of dy x_hat over the rows
            grad_weight = _column_dots(grad_rows, x_hat).reshape(self.normalized_shape)
        if self.needs_input_grad[2]:  # sum of dy over the rows
            grad_bias = _row_sums(grad_rows.T).reshape(self.normalized_shape)
        if self.needs_input_grad[0]:
            g = grad_rows * weight if weight is not None else grad_rows  # dL/dx_hat = dL/dy * weight
            grad_x = _standardize_rows_backward(g, x_hat, self.inv_std).reshape(self.shape)
        return grad_x, grad_weight, grad_bias


def layer_normalization(
    where: object,
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """layer_norm; errors name `where` (the op or the layer)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if input.dtype.kind != "f" or tuple(input.shape[input.ndim - len(shape) :]) != shape or input.ndim < len(shape):
        raise ValueError(
            f"{where}: expected a floating input whose last dims are {shape}, got "
            f"{input.dtype} input of shape {tuple(input.shape)}"
        )
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(value.shape) != shape:
            raise ValueError(f"{where}: expected {name} of shape {shape}, got {tuple(value.shape)}")
    return LayerNormFunction.apply(input, weight, bias, dims=len(shape), eps=float(eps))


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise input over its last dims, `normalized_shape` (an int or a tuple), with their
    mean and biased variance: (x - mean) / sqrt(var + eps); then scale by weight and shift by
    bias, both of shape normalized_shape (either may be None)."""
    return layer_normalization("layer_norm", input, normalized_shape, weight, bias, eps)


class GroupNormFunction(Function):
    """Normalise every sample's channels in `groups` groups of C / groups channels, each group
    over its channels and spatial dims; y = weight * x_hat + bias, weight and bias per channel."""

    def forward(self, x, weight=None, bias=None, *, groups, eps):
        x_hat, self.inv_std = _standardize_rows(x.reshape(x.shape[0] * groups, -1), eps)
        self.x_hat, self.weight = x_hat.reshape(x.shape), weight
        y = self.x_hat * _per_channel(weight, x) if weight is not None else self.x_hat.copy()
        if bias is not None:
            y += _per_channel(bias, x)
        return y

    def backward(self, grad):
        axes, x_hat = _channel_axes(grad), self.x_hat
        grad_weight = (grad * x_hat).sum(axis=axes) if self.needs_input_grad[1] else None  # sum dy x_hat
        grad_bias = grad.sum(axis=axes) if self.needs_input_grad[2] else None  # sum dy
        grad_x = None
        if self.needs_input_grad[0]:
            g = grad * _per_channel(self.weight, grad) if self.weight is not None else grad
            rows = (self.inv_std.size, -1)
            grad_x = _standardize_rows_backward(g.reshape(rows), x_hat.reshape(rows), self.inv_std).reshape(grad.shape)
        return grad_x, grad_weight, grad_bias


def group_normalization(
    where: object,
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """group_norm; errors name `where` (the op or the layer)."""
    if input.ndim < 2 or input.dtype.kind != "f":
        raise ValueError(
            f"{where}: expected a floating input (N, C, ...) with at least 2 dims, got "
            f"{input.dtype} input of shape {tuple(input.shape)}"
        )
    channels = input.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise ValueError(
            f"{where}: expected the {channels} channels of input {tuple(input.shape)} to split "
            f"into num_groups={num_groups} equal groups"
        )
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(value.shape) != (channels,):
            raise ValueError(f"{where}: expected {name} of shape ({channels},), got {tuple(value.shape)}")
    return GroupNormFunction.apply(input, weight, bias, groups=int(num_groups), eps=float(eps))


def group_norm(
    input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5
) -> Tensor:
    """Normalise each sample of (N, C, ...) input over each of num_groups groups of channels
    (with their spatial dims): (x - mean) / sqrt(var + eps), biased variance; then scale and
    shift every channel by weight and bias (C,), either of which may be None."""
    return group_normalization("group_norm", input, num_groups, weight, bias, eps)
