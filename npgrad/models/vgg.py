"""VGG (Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", 2014): depth from nothing but 3x3 convolutions.

Two stacked 3x3 convolutions see a 5x5 patch and three see 7x7, with fewer weights and more
ReLUs than one large filter. Five stages of such convolutions, each ending in a 2x2 max pool
that halves the image, double the channels 64 -> 128 -> 256 -> 512; three Linear layers
classify. VGG-11/13/16/19 differ only in how many convolutions each stage has (configurations
A, B, D, E of the paper); the _bn variants put a BatchNorm2d after every convolution.

Layer names, order and initialisation are torchvision's, so a torchvision state_dict loads.
"""

from __future__ import annotations

from typing import Any

from .. import nn
from ..tensor import Tensor
from ..types import _size
from ._common import init_like_torchvision, input_channels, is_small_input, kaiming_normal_fan_out

STAGE_WIDTHS = (64, 128, 256, 512, 512)
CONVS_PER_STAGE = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}


class VGG(nn.Module):
    """features (convolutions) -> avgpool to a fixed grid -> flatten -> classifier (3 Linear)."""

    def __init__(
        self, features: nn.Module, num_classes: int, pooled_side: int = 7, hidden: int = 4096, dropout: float = 0.5
    ) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((pooled_side, pooled_side))
        self.classifier = nn.Sequential(
            nn.Linear(STAGE_WIDTHS[-1] * pooled_side * pooled_side, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def make_features(depth: int, in_channels: int, batch_norm: bool, ceil_mode: bool = False) -> nn.Sequential:
    """The convolutional part: per stage, [Conv2d 3x3 (-> BatchNorm2d) -> ReLU] x n, MaxPool2d."""
    layers: list[nn.Module] = []
    for width, convs in zip(STAGE_WIDTHS, CONVS_PER_STAGE[depth]):
        for _ in range(convs):
            layers.append(nn.Conv2d(in_channels, width, kernel_size=3, padding=1))
            layers += [nn.BatchNorm2d(width), nn.ReLU()] if batch_norm else [nn.ReLU()]
            in_channels = width
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=ceil_mode))
    return nn.Sequential(*layers)


def vgg(
    depth: int,
    batch_norm: bool = False,
    num_classes: int = 1000,
    in_channels: int | None = None,
    *,
    in_shape: _size | None = None,
    small_input: bool | None = None,
    dropout: float = 0.5,
    init_weights: bool = True,
) -> VGG:
    """VGG-`depth` (11, 13, 16 or 19), with BatchNorm when batch_norm.

    in_channels: default 3, or in_shape[0]. Any image size works (adaptive pooling).
    small_input (for 28x28 and 32x32 images; None: True when in_shape is at most 64x64): the
        max pools round up (ceil_mode), so that even 28x28 survives all five poolings as 1x1,
        the adaptive pool gives 1x1 instead of 7x7, and the classifier's hidden layers are 512
        wide instead of 4096 (the Linear layers hold 0.5 M weights instead of 120 M).
    init_weights: torchvision's initialisation: convolutions kaiming_normal_(fan_out, relu),
        Linear weights N(0, 0.01^2), biases 0, BatchNorm weight 1 and bias 0.
    """
    if depth not in CONVS_PER_STAGE:
        raise ValueError(f"vgg: depth must be one of {', '.join(map(str, CONVS_PER_STAGE))}, got {depth!r}")
    channels = input_channels(f"vgg{depth}", in_shape, in_channels, default=3)
    small = is_small_input(in_shape, small_input)
    features = make_features(depth, channels, batch_norm, ceil_mode=small)
    model = VGG(features, num_classes, pooled_side=1 if small else 7, hidden=512 if small else 4096, dropout=dropout)
    if init_weights:
        init_like_torchvision(model, kaiming_normal_fan_out, lambda weight: nn.init.normal_(weight, 0, 0.01))
    return model


def vgg11(num_classes: int = 1000, in_channels: int | None = None, **options: Any) -> VGG:
    """VGG-11 (configuration A): 8 convolutions and 3 Linear layers; 132,863,336 parameters."""
    return vgg(11, False, num_classes, in_channels, **options)


def vgg13(num_classes: int = 1000, in_channels: int | None = None, **options: Any) -> VGG:
    """VGG-13 (configuration B): 10 convolutions and 3 Linear layers; 133,047,848 parameters."""
    return vgg(13, False, num_classes, in_channels, **options)


def vgg16(num_classes: int = 1000, in_channels: int | None = None, **options: Any) -> VGG:
    """VGG-16 (configuration D): 13 convolutions and 3 Linear layers; 138,357,544 parameters."""
    return vgg(16, False, num_classes, in_channels, **options)


def vgg19(num_classes: int = 1000, in_channels: int | None = None, **options: Any) -> VGG:
    """VGG-19 (configuration E): 16 convolutions and 3 Linear layers; 143,667,240 parameters."""
    return vgg(19, False, num_classes, in_channels, **options)


def vgg11_bn(num_classes: int = 1000, in_channels: int | None = None, **options: Any) -> VGG:
    """VGG-11 with BatchNorm2d after every convolution; 132,868,840 parameters."""
    return vgg(11, True, num_classes, in_channels, **options)


def vgg13_bn(num_classes: int = 1000, in_channels: int | None = None, **options: Any) -> VGG:
    """VGG-13 with BatchNorm2d after every convolution; 133,053,736 parameters."""
    return vgg(13, True, num_classes, in_channels, **options)


def vgg16_bn(num_classes: int = 1000, in_channels: int | None = None, **options: Any) -> VGG:
    """VGG-16 with BatchNorm2d after every convolution; 138,365,992 parameters."""
    return vgg(16, True, num_classes, in_channels, **options)


def vgg19_bn(num_classes: int = 1000, in_channels: int | None = None, **options: Any) -> VGG:
    """VGG-19 with BatchNorm2d after every convolution; 143,678,248 parameters."""
    return vgg(19, True, num_classes, in_channels, **options)
