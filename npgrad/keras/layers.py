"""Keras layers, each built from the npgrad (PyTorch-named) modules that do its work.

    Dense                nn.Linear, then the activation
    Conv2D               nn.Conv2d, then the activation
    MaxPooling2D         nn.MaxPool2d
    BatchNormalization   nn.BatchNorm1d (inputs (N, C) or (N, L, C)) or nn.BatchNorm2d (images)
    Flatten, Dropout     nn.Flatten, nn.Dropout
    Activation           the activation alone
    Add, Concatenate     merge several inputs (for models that branch and join)

Images are channels-last, as in Keras: Input(shape=(28, 28, 1)) takes batches (N, 28, 28, 1).
Conv2D, MaxPooling2D and BatchNormalization transpose each batch to npgrad's channels-first
(N, C, H, W), run the npgrad module, and transpose back, so between layers (and into
Flatten) the data stays in Keras's order.

Kernels start 'glorot_uniform' and biases 'zeros', Keras's defaults (npgrad's own layers use
PyTorch's). nn.Conv2d, nn.MaxPool2d and nn.BatchNorm1d/2d come with the CNN lessons: a layer
that needs one which npgrad.nn lacks raises NotImplementedError when it is built.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import nn
from ..functional.shape import cat, pad, permute
from ..tensor import Tensor
from . import activations, initializers
from .activations import ActivationLike
from .engine import Input, InputLayer, InputShape, Layer, Shape  # noqa: F401  (Input and InputLayer: Keras has them here too)
from .initializers import Initializer


def _npgrad_module(class_name: str, keras_name: str) -> type[nn.Module]:
    module = getattr(nn, class_name, None)
    if module is None:
        raise NotImplementedError(f"{keras_name} needs npgrad.nn.{class_name}, which arrives with the CNN lessons")
    return module


def channels_first(x: Tensor) -> Tensor:
    """(N, ..., C) -> (N, C, ...)."""
    return permute(x, 0, x.ndim - 1, *range(1, x.ndim - 1))


def channels_last(x: Tensor) -> Tensor:
    """(N, C, ...) -> (N, ..., C)."""
    return permute(x, 0, *range(2, x.ndim), 1)


class _Activated(Layer):
    """A layer followed by an activation. forward(x, logits=True) leaves the activation out:
    the Model asks for that when the loss takes the activation in (see Model.compile)."""

    def __init__(self, activation: ActivationLike, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation_name, self._make_activation = activations.get(activation)

    def _add_activation(self) -> None:
        """Register the activation module after the layer's own (so it prints after it)."""
        self.activation = self._make_activation() if self._make_activation else None

    def _activate(self, x: Tensor, logits: bool) -> Tensor:
        return x if logits or self.activation is None else self.activation(x)


class _KernelLayer(_Activated):
    """Dense and Conv2D: a weight ('kernel') and an optional bias, initialised the Keras way."""

    def __init__(
        self,
        activation: ActivationLike,
        use_bias: bool,
        kernel_initializer: Initializer,
        bias_initializer: Initializer,
        **kwargs: Any,
    ) -> None:
        super().__init__(activation, **kwargs)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def _initialize(self, module: nn.Module) -> None:
        self.kernel_initializer(module.weight)
        if module.bias is not None:
            self.bias_initializer(module.bias)


class Dense(_KernelLayer):
    """units outputs computed from the last axis: activation(x W^T + b)."""

    def __init__(
        self,
        units: int,
        activation: ActivationLike = None,
        use_bias: bool = True,
        kernel_initializer: Initializer = "glorot_uniform",
        bias_initializer: Initializer = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, **kwargs)
        self.units = int(units)

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                f"{self.describe()}: expected input of shape (batch, ..., features) with a known "
                f"number of features, got {input_shape}"
            )
        self.linear = nn.Linear(input_shape[-1], self.units, bias=self.use_bias)
        self._initialize(self.linear)
        self._add_activation()

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.units)

    def forward(self, x: Tensor, logits: bool = False) -> Tensor:
        return self._activate(self.linear(x), logits)


class Activation(_Activated):
    """An activation on its own, e.g. Activation('softmax') after a Dense without one."""

    def build(self, input_shape: InputShape) -> None:
        self._add_activation()

    def forward(self, x: Tensor, logits: bool = False) -> Tensor:
        return self._activate(x, logits)


# -- images ----------------------------------------------------------------------------------
def _pair(value: int | Sequence[int]) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _check_padding(layer: Layer, padding: str) -> str:
    if padding not in ("valid", "same"):
        raise ValueError(f"{layer.describe()}: padding must be 'valid' or 'same', got {padding!r}")
    return padding


def _image_size(layer: Layer, input_shape: Shape) -> Shape:
    """(height, width) of channels-last image batches (None, H, W, C)."""
    if len(input_shape) != 4 or None in input_shape[1:]:
        raise ValueError(
            f"{layer.describe()}: expected channels-last images of shape (batch, height, width, "
            f"channels), got {input_shape}"
        )
    return input_shape[1:3]


def _window_output_size(layer: Layer, size: int, kernel: int, stride: int, padding: str) -> int:
    """Output length along one axis: ceil(size / stride) for 'same', floor((size - kernel) / stride) + 1
    for 'valid'."""
    if padding == "same":
        return math.ceil(size / stride)
    if size < kernel:
        raise ValueError(f"{layer.describe()}: an input of size {size} is smaller than the window {kernel}")
    return (size - kernel) // stride + 1


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) padding that gives ceil(size / stride) outputs: TensorFlow splits it evenly
    and puts an odd extra pixel after (at the bottom or right)."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class _Windowed(Layer):
    """What Conv2D and MaxPooling2D share: a window (kernel) sliding with strides, and padding."""

    def _set_window(self, kernel_size: int | Sequence[int], strides: int | Sequence[int], padding: str) -> None:
        self.kernel_size, self.strides = _pair(kernel_size), _pair(strides)
        self.padding = _check_padding(self, padding)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        sizes = [
            _window_output_size(self, size, k, s, self.padding)
            for size, k, s in zip(_image_size(self, input_shape), self.kernel_size, self.strides)
        ]
        return (None, *sizes, self._output_channels(input_shape))

    def _paddings(self, input_shape: Shape) -> tuple[tuple[int, int], tuple[int, int]]:
        """((top, bottom), (left, right)) padding of the image."""
        if self.padding == "valid":
            return (0, 0), (0, 0)
        return tuple(
            _same_padding(size, k, s)
            for size, k, s in zip(_image_size(self, input_shape), self.kernel_size, self.strides)
        )


class Conv2D(_KernelLayer, _Windowed):
    """filters feature maps of channels-last images: (N, H, W, C) -> (N, H', W', filters).

    padding='valid' uses only full windows; 'same' pads so that H' = ceil(H / strides). The even
    part of that padding is nn.Conv2d's own padding; an odd extra pixel is padded at the bottom
    or right before the convolution, as TensorFlow places it.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        activation: ActivationLike = None,
        use_bias: bool = True,
        kernel_initializer: Initializer = "glorot_uniform",
        bias_initializer: Initializer = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, **kwargs)
        self.filters = int(filters)
        self._set_window(kernel_size, strides, padding)

    def _output_channels(self, input_shape: Shape) -> int:
        return self.filters

    def build(self, input_shape: Shape) -> None:
        self.compute_output_shape(input_shape)  # checks the shape
        (top, bottom), (left, right) = self._paddings(input_shape)
        self.extra_padding = (0, right - left, 0, bottom - top)  # pad's order: last axis first
        self.conv = _npgrad_module("Conv2d", "Conv2D")(
            input_shape[-1],
            self.filters,
            self.kernel_size,
            stride=self.strides,
            padding=(top, left),
            bias=self.use_bias,
        )
        self._initialize(self.conv)
        self._add_activation()

    def forward(self, x: Tensor, logits: bool = False) -> Tensor:
        x = channels_first(x)
        if any(self.extra_padding):
            x = pad(x, self.extra_padding)
        return self._activate(channels_last(self.conv(x)), logits)


class MaxPooling2D(_Windowed):
    """The maximum of each pool_size window of channels-last images; strides default to pool_size.
    padding='same' pads with -inf, so padded pixels never win."""

    def __init__(
        self,
        pool_size: int | Sequence[int] = 2,
        strides: int | Sequence[int] | None = None,
        padding: str = "valid",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._set_window(pool_size, pool_size if strides is None else strides, padding)

    def _output_channels(self, input_shape: Shape) -> int | None:
        return input_shape[-1]

    def build(self, input_shape: Shape) -> None:
        self.compute_output_shape(input_shape)  # checks the shape
        (top, bottom), (left, right) = self._paddings(input_shape)
        self.padding_widths = (left, right, top, bottom)
        self.pool = _npgrad_module("MaxPool2d", "MaxPooling2D")(self.kernel_size, self.strides)

    def forward(self, x: Tensor) -> Tensor:
        x = channels_first(x)
        if any(self.padding_widths):
            x = pad(x, self.padding_widths, value=-math.inf)
        return channels_last(self.pool(x))


class BatchNormalization(Layer):
    """Normalises each channel (the last axis) with batch statistics in training and running
    averages in inference. Keras's momentum 0.99 (the weight of the old running average) is
    PyTorch's momentum 0.01 (the weight of the new batch). The running mean and variance are
    buffers, not parameters, so summaries count 2 parameters per channel where Keras counts 4
    (2 of them non-trainable)."""

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum, self.epsilon = momentum, epsilon

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) not in (2, 3, 4) or input_shape[-1] is None:
            raise ValueError(
                f"{self.describe()}: expected input (batch, features), (batch, steps, channels) "
                f"or (batch, height, width, channels), got {input_shape}"
            )
        class_name = "BatchNorm2d" if len(input_shape) == 4 else "BatchNorm1d"
        torch_momentum = round(1 - self.momentum, 10)  # rounded: 1 - 0.99 is 0.010000000000000009
        self.norm = _npgrad_module(class_name, "BatchNormalization")(
            input_shape[-1], eps=self.epsilon, momentum=torch_momentum
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 2:
            return self.norm(x)
        return channels_last(self.norm(channels_first(x)))


# -- reshaping and regularisation ------------------------------------------------------------
class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...), in channels-last order as in Keras."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.flatten = nn.Flatten()

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (None, math.prod(input_shape[1:]))

    def forward(self, x: Tensor) -> Tensor:
        return self.flatten(x)


class Dropout(Layer):
    """In training, zeroes each value with probability rate and scales the rest by 1 / (1 - rate)."""

    def __init__(self, rate: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dropout = nn.Dropout(rate)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(x)


# -- merging ---------------------------------------------------------------------------------
class _Merge(Layer):
    def _check_list(self, input_shape: InputShape) -> None:
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError(f"{self.describe()}: expected a list of at least two inputs, got {input_shape}")


class Add(_Merge):
    """The element-wise sum of inputs of one shape: Add()([x, shortcut])."""

    def compute_output_shape(self, input_shape: list[Shape]) -> Shape:
        self._check_list(input_shape)
        if len(set(input_shape)) > 1:
            raise ValueError(f"{self.describe()}: inputs must have the same shape, got {input_shape}")
        return input_shape[0]

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        return sum(inputs[1:], inputs[0])


class Concatenate(_Merge):
    """The inputs joined along `axis` (default the last, the features or channels)."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def compute_output_shape(self, input_shape: list[Shape]) -> Shape:
        self._check_list(input_shape)
        axis = self.axis % len(input_shape[0])
        others = {shape[:axis] + shape[axis + 1 :] for shape in input_shape}
        if axis == 0 or len(others) > 1 or len({len(shape) for shape in input_shape}) > 1:
            raise ValueError(
                f"{self.describe()}: inputs must match on every axis but {self.axis} (not the batch), got {input_shape}"
            )
        return (*input_shape[0][:axis], sum(shape[axis] for shape in input_shape), *input_shape[0][axis + 1 :])

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        return cat(inputs, dim=self.axis)
