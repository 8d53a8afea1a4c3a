"""Normalization layers: BatchNorm1d, BatchNorm2d, LayerNorm and GroupNorm.

As in PyTorch: parameters weight (ones) and bias (zeros) when affine; buffers running_mean
(zeros), running_var (ones) and num_batches_tracked (an int64 scalar) when
track_running_stats. Training normalises with the batch's statistics and updates the running
ones (exponential average with `momentum`, or the cumulative average when momentum is None);
evaluation normalises with the running statistics, or with the batch's when they are not tracked.
LayerNorm normalises every sample over its last dims, and GroupNorm every sample over each
group of channels, the same way in training and evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import dtypes
from ..functional._util import check_input_dtype
from ..functional.normalization import batch_normalization, group_normalization, layer_normalization
from ..tensor import Tensor
from ..types import _device, _dtype
from . import init
from .module import Module
from .parameter import Parameter


class _BatchNorm(Module):
    expected_dims = ()  # the input ranks a subclass accepts

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: _dtype | None = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(np.zeros(num_features, dtype))
        else:
            self.register_parameter("bias", None)
        for name, value in (
            ("running_mean", np.zeros(num_features, dtype)),
            ("running_var", np.ones(num_features, dtype)),
            ("num_batches_tracked", np.array(0, np.int64)),
        ):
            self.register_buffer(name, Tensor(value) if track_running_stats else None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def _check_input(self, input):
        if input.ndim not in self.expected_dims:
            wanted = " or ".join(f"{d}-D" for d in self.expected_dims)
            raise ValueError(f"{self!r}: expected a {wanted} input, got input of shape {tuple(input.shape)}")
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r}: expected input with {self.num_features} channels, got input of shape {tuple(input.shape)}"
            )
        check_input_dtype(repr(self), input, self.weight, self.running_mean)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        factor = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:  # the cumulative average of every batch so far
                factor = 1.0 / int(self.num_batches_tracked._data)
        use_batch_stats = self.training or not self.track_running_stats
        return batch_normalization(
            self,
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_batch_stats,
            factor or 0.0,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input, per channel C."""

    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input, per channel C."""

    expected_dims = (4,)


class _AffineNorm(Module):
    """A norm layer with an optional per-element scale (ones) and shift (zeros) of one shape."""

    def _affine_parameters(self, shape, dtype, affine, bias):
        dtype = dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
        self.register_parameter("weight", Parameter(np.ones(shape, dtype)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(shape, dtype)) if affine and bias else None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)


class LayerNorm(_AffineNorm):
    """Layer norm over the last dims of the input, `normalized_shape` (an int or a tuple), as
    PyTorch: weight (ones) and bias (zeros) of that shape when elementwise_affine (bias=False
    drops the bias)."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self._affine_parameters(shape, dtype, elementwise_affine, bias)

    def forward(self, input: Tensor) -> Tensor:
        return layer_normalization(self, input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class GroupNorm(_AffineNorm):
    """Group norm of (N, C, ...) input: the C = num_channels channels in num_groups groups, each
    normalised per sample; weight (ones) and bias (zeros) of shape (C,) when affine (bias=False
    drops the bias)."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: _device | None = None,
        dtype: _dtype | None = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self._affine_parameters((num_channels,), dtype, affine, bias)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim >= 2 and input.shape[1] != self.num_channels:
            raise ValueError(
                f"{self!r}: expected input with {self.num_channels} channels, got input of shape {tuple(input.shape)}"
            )
        check_input_dtype(repr(self), input, self.weight)
        return group_normalization(self, input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _InstanceNorm(_AffineNorm):
    """Each channel of each sample normalised over its own positions: group norm with one
    channel a group. weight (ones) and bias (zeros) of shape (C,) when affine (off by default,
    as in PyTorch). No running statistics are kept: evaluation normalises with the sample's own,
    which is what PyTorch does by default (track_running_stats=False)."""

    dims = 0  # spatial dims: 1 for InstanceNorm1d, 2 for InstanceNorm2d

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        dtype: _dtype | None = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if track_running_stats:
            raise ValueError(
                f"{type(self).__name__}: npgrad keeps no running statistics for instance norm; "
                "use track_running_stats=False (PyTorch's default)"
            )
        self.num_features, self.eps, self.momentum, self.affine = num_features, eps, momentum, affine
        self.track_running_stats = False
        self._affine_parameters((num_features,), dtype, affine, bias)

    def forward(self, input: Tensor) -> Tensor:
        batched = input.ndim == self.dims + 2
        if input.ndim != self.dims + 1 and not batched:
            raise ValueError(
                f"{self!r}: expected a {self.dims + 2}-D input (N, C, ...) or a {self.dims + 1}-D "
                f"unbatched one, got input of shape {tuple(input.shape)}"
            )
        x = input if batched else input.unsqueeze(0)
        y = group_normalization(self, x, x.shape[1], self.weight, self.bias, self.eps)
        return y if batched else y.squeeze(0)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class InstanceNorm1d(_InstanceNorm):
    dims = 1


class InstanceNorm2d(_InstanceNorm):
    dims = 2
