"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d.

Parameters, initialisation, attributes and repr are PyTorch's: the weight is (out, in/groups,
*kernel) for a convolution and (in, out/groups, *kernel) for a transposed one; both start from
kaiming_uniform_(a=sqrt(5)) and a bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in being
computed from the weight's shape as for any weight (dim 1 times the kernel size).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import dtypes
from ..functional._windows import expand
from ..functional.conv import convolution, transposed_convolution
from ..tensor import Tensor
from ..types import _dtype, _size_any_t
from . import init
from .module import Module
from .parameter import Parameter


class _ConvNd(Module):
    """What every convolution layer shares: arguments, parameters, initialisation and repr."""

    dims = None  # 1 or 2, set by each subclass
    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _size_any_t,
        stride: _size_any_t = 1,
        padding: _size_any_t | str = 0,
        dilation: _size_any_t = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        output_padding: _size_any_t = 0,
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__()
        name, dims = type(self).__name__, self.dims
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        for what, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups:
                raise ValueError(f"{name}: {what} must be divisible by groups, got {what}={channels}, groups={groups}")
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = expand(kernel_size, dims, "kernel_size", name)
        self.stride = expand(stride, dims, "stride", name)
        self.padding = padding if isinstance(padding, str) else expand(padding, dims, "padding", name)
        self.dilation = expand(dilation, dims, "dilation", name)
        self.output_padding = expand(output_padding, dims, "output_padding", name)
        self.groups, self.padding_mode = groups, padding_mode
        self._check_padding(name)
        dtype = dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
        # (out, in/groups, *kernel) for a convolution, (in, out/groups, *kernel) for a transposed one
        channels = (in_channels, out_channels // groups) if self.transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(np.empty(channels + self.kernel_size, dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _check_padding(self, name):
        if not isinstance(self.padding, str):
            return
        if self.transposed or self.padding not in ("same", "valid"):
            allowed = "an int or a tuple" if self.transposed else "an int, a tuple, 'same' or 'valid'"
            raise ValueError(f"{name}: padding must be {allowed}, got {self.padding!r}")
        if self.padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class _Conv(_ConvNd):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _size_any_t,
        stride: _size_any_t = 1,
        padding: _size_any_t | str = 0,
        dilation: _size_any_t = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, dtype=dtype
        )

    def forward(self, input: Tensor) -> Tensor:
        return convolution(
            self, self.dims, input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class _ConvTranspose(_ConvNd):
    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: _size_any_t,
        stride: _size_any_t = 1,
        padding: _size_any_t = 0,
        output_padding: _size_any_t = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: _size_any_t = 1,
        padding_mode: str = "zeros",
        dtype: _dtype | None = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            output_padding,
            dtype,
        )

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        """output_size (the spatial sizes, optionally with N and C in front) picks among the
        sizes a strided transposed conv can give: it sets output_padding for this call."""
        output_padding = self.output_padding if output_size is None else self._output_padding(input, output_size)
        return transposed_convolution(
            self,
            self.dims,
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )

    def _output_padding(self, input, output_size):
        wanted = tuple(output_size)[-self.dims :]
        smallest = tuple(
            (n - 1) * s - 2 * p + d * (k - 1) + 1
            for n, s, p, d, k in zip(
                input.shape[-self.dims :], self.stride, self.padding, self.dilation, self.kernel_size
            )
        )
        if len(output_size) not in (self.dims, input.ndim) or any(
            not 0 <= w - m < s for w, m, s in zip(wanted, smallest, self.stride)
        ):
            largest = tuple(m + s - 1 for m, s in zip(smallest, self.stride))
            raise ValueError(
                f"{self!r}: requested an output size of {tuple(output_size)}, but valid sizes "
                f"range from {smallest} to {largest} (for an input of shape {tuple(input.shape)})"
            )
        return tuple(w - m for w, m in zip(wanted, smallest))


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) -> (N, C_out, L_out); weight (out, in/groups, k)."""

    dims = 1


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) -> (N, C_out, H_out, W_out); weight (out, in/groups, kh, kw).
    H_out = floor((H + 2 padding - dilation (k - 1) - 1) / stride) + 1."""

    dims = 2


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution; weight (in, out/groups, k)."""

    dims = 1


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution (the input gradient of a Conv2d); weight (in, out/groups, kh, kw).
    H_out = (H - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1."""

    dims = 2
