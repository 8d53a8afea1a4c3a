"""What the image models of the zoo share: reading their input options, and torchvision's init.

Every image model takes `num_classes`, `in_channels` and `in_shape=(C, H, W)` (the training
code passes in_shape). The ImageNet models are size-agnostic, so they use in_shape only for its
channels and, when `small_input` is left at None, to decide whether the image is small.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import nn
from ..tensor import Tensor
from ..types import _size

SMALL_IMAGE = 64  # images at most this many pixels high and wide get the small-input variant


def input_channels(model: str, in_shape: _size | None, in_channels: int | None, default: int) -> int:
    """The channel count from in_channels or in_shape[0] (they must agree), else `default`."""
    if in_shape is None:
        return default if in_channels is None else in_channels
    if len(in_shape) != 3:
        raise ValueError(f"{model}: in_shape must be (channels, height, width), got {tuple(in_shape)}")
    if in_channels is not None and in_channels != in_shape[0]:
        raise ValueError(f"{model}: in_channels={in_channels} disagrees with in_shape={tuple(in_shape)}")
    return in_shape[0]


def image_shape(
    model: str, in_shape: _size | None, in_channels: int | None, default: tuple[int, int, int]
) -> tuple[int, ...]:
    """The full (C, H, W) for models whose layer sizes depend on the image size."""
    channels = input_channels(model, in_shape, in_channels, default[0])
    return (channels, *(default if in_shape is None else in_shape)[1:])


def is_small_input(in_shape: _size | None, small_input: bool | None) -> bool:
    """small_input as given, or, when None, whether in_shape is a small image (<= 64x64)."""
    if small_input is not None:
        return small_input
    return in_shape is not None and max(in_shape[1:]) <= SMALL_IMAGE


def init_like_torchvision(
    model: nn.Module,
    conv_init: Callable[[Tensor], object],
    linear_init: Callable[[Tensor], object] | None = None,
    zero_biases: bool = True,
) -> None:
    """torchvision's initialisation: conv_init(weight) for every Conv2d, linear_init(weight) for
    every Linear when given (else PyTorch's default stays), zeros for those layers' biases when
    zero_biases, and weight 1, bias 0 for every BatchNorm2d."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
            continue
        initialise = {nn.Conv2d: conv_init, nn.Linear: linear_init}.get(type(module))
        if initialise is None:
            continue
        initialise(module.weight)  # type: ignore[arg-type]  # a Conv2d's or Linear's Parameter
        if zero_biases and module.bias is not None:
            nn.init.zeros_(module.bias)  # type: ignore[arg-type]


def kaiming_normal_fan_out(weight: Tensor) -> None:
    """He initialisation that keeps the gradients' scale through ReLUs (ResNet, VGG)."""
    nn.init.kaiming_normal_(weight, mode="fan_out", nonlinearity="relu")
