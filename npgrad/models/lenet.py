"""Small convolutional networks for small images (MNIST, Fashion-MNIST, Sign Language, CIFAR).

Both models build `features` (convolutions and pooling) and `classifier` (flatten and Linear
layers) as Sequentials, and size the first Linear layer from in_shape with the output-size
rule of a convolution or pooling: out = (in + 2 padding - kernel) // stride + 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from .. import nn
from ..tensor import Tensor
from ..types import _size
from ._common import image_shape

V = TypeVar("V")

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}
POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


class SmallCNN(nn.Module):
    """features -> flatten -> classifier: the shape of every model in this file."""

    def __init__(self, features: nn.Module, classifier: nn.Module) -> None:
        super().__init__()
        self.features, self.classifier = features, classifier

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x).flatten(1))


def conv_output_side(side: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    return (side + 2 * padding - kernel) // stride + 1


def choice(table: Mapping[str, V], value: str, what: str, model: str) -> V:
    if value not in table:
        raise ValueError(f"{model}: {what} must be one of {', '.join(map(repr, table))}, got {value!r}")
    return table[value]


def lenet5(
    num_classes: int = 10,
    in_channels: int | None = None,
    *,
    in_shape: _size | None = None,
    activation: str = "relu",
    pool: str = "max",
) -> SmallCNN:
    """LeNet-5 (LeCun et al., "Gradient-based learning applied to document recognition", 1998).

    The network that made convolution work: two 5x5 convolutions, each followed by a 2x2
    pooling that halves the image, learn local features shared across positions; three
    Linear layers (120, 84, num_classes) classify them. LeNet-5 was designed for 32x32 images,
    so conv1 zero-pads smaller ones by (32 - side) // 2: MNIST's 28x28 gets padding 2, and
    28x28 and 32x32 images both reach the classifier as 16 maps of 5x5.

    By default this is the modern variant, with ReLU and max pooling; activation="tanh",
    pool="avg" gives the original's tanh and average pooling ("subsampling"; the paper's
    trainable subsampling coefficients and its sparse C3 connection table are not reproduced).
    in_shape: (C, H, W), default (in_channels or 1, 28, 28).
    """
    channels, height, width = image_shape("lenet5", in_shape, in_channels, (1, 28, 28))
    act = choice(ACTIVATIONS, activation, "activation", "lenet5")
    pooling = choice(POOLS, pool, "pool", "lenet5")
    padding = max(0, (32 - min(height, width)) // 2)
    sides = [conv_output_side(conv_output_side(side, 5, padding) // 2, 5) // 2 for side in (height, width)]
    features = nn.Sequential(
        nn.Conv2d(channels, 6, 5, padding=padding), act(), pooling(2), nn.Conv2d(6, 16, 5), act(), pooling(2)
    )
    classifier = nn.Sequential(
        nn.Linear(16 * sides[0] * sides[1], 120), act(), nn.Linear(120, 84), act(), nn.Linear(84, num_classes)
    )
    return SmallCNN(features, classifier)


def mnist_cnn(
    num_classes: int = 10,
    in_channels: int | None = None,
    *,
    in_shape: _size | None = None,
    batch_norm: bool = True,
    dropout: float = 0.5,
) -> SmallCNN:
    """A VGG-style CNN for small images, the usual strong baseline for MNIST (>= 99 % test accuracy).

    Two stages of [3x3 conv -> 3x3 conv -> 2x2 max pool] with 32 then 64 channels, then
    Linear(128) -> ReLU -> Dropout -> Linear(num_classes). The convolutions are unpadded, so a
    28x28 image shrinks 28 -> 26 -> 24 -> 12 -> 10 -> 8 -> 4 (a 32x32 one to 5x5): stacked 3x3
    convolutions see as far as one larger filter with fewer weights, and batch normalisation
    after each (batch_norm=True) lets a high learning rate converge in a couple of epochs.
    in_shape: (C, H, W), default (in_channels or 1, 28, 28).
    """
    channels, height, width = image_shape("mnist_cnn", in_shape, in_channels, (1, 28, 28))
    layers: list[nn.Module] = []
    sides = [height, width]
    for stage in ((32, 32), (64, 64)):  # the widths of each stage's two convolutions
        for width_out in stage:
            layers.append(nn.Conv2d(channels, width_out, 3, bias=not batch_norm))
            layers += [nn.BatchNorm2d(width_out), nn.ReLU()] if batch_norm else [nn.ReLU()]
            channels, sides = width_out, [conv_output_side(side, 3) for side in sides]
        layers.append(nn.MaxPool2d(2))
        sides = [side // 2 for side in sides]
    classifier = nn.Sequential(
        nn.Linear(channels * sides[0] * sides[1], 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, num_classes)
    )
    return SmallCNN(nn.Sequential(*layers), classifier)
