"""AlexNet (Krizhevsky, Sutskever and Hinton, "ImageNet Classification with Deep Convolutional
Neural Networks", 2012): the network that won ImageNet 2012 and started the deep-learning era.

Five convolutions (a large 11x11 stride-4 filter first, to shrink the 224x224 image fast) with
ReLUs and overlapping 3x3 max pools, then three Linear layers with dropout — ReLU, dropout and
GPU training were its new ideas. As in torchvision, the channel widths are those of the
single-GPU version ("One weird trick for parallelizing convolutional neural networks",
Krizhevsky 2014: 64, 192, 384, 256, 256), and an adaptive pool to 6x6 lets any image size in.
"""

from __future__ import annotations

from typing import Any

from .. import nn
from ..tensor import Tensor
from ..types import _size
from ._common import input_channels, is_small_input


# what the small-input variant changes (see alexnet()); the layer list stays the same
STANDARD: dict[str, Any] = dict(
    first_conv=dict(kernel_size=11, stride=4, padding=2), pool=dict(kernel_size=3, stride=2), pooled_side=6, hidden=4096
)
SMALL: dict[str, Any] = dict(
    first_conv=dict(kernel_size=3, stride=1, padding=1),
    pool=dict(kernel_size=2, ceil_mode=True),
    pooled_side=1,
    hidden=512,
)


class AlexNet(nn.Module):
    """features (5 convolutions) -> avgpool -> flatten -> classifier (3 Linear)."""

    def __init__(
        self, in_channels: int = 3, num_classes: int = 1000, small_input: bool = False, dropout: float = 0.5
    ) -> None:
        super().__init__()
        sizes = SMALL if small_input else STANDARD
        side, hidden = sizes["pooled_side"], sizes["hidden"]

        def pool():
            return nn.MaxPool2d(**sizes["pool"])

        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, **sizes["first_conv"]),
            nn.ReLU(),
            pool(),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(),
            pool(),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(),
            pool(),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((side, side))
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(256 * side * side, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def alexnet(
    num_classes: int = 1000,
    in_channels: int | None = None,
    *,
    in_shape: _size | None = None,
    small_input: bool | None = None,
    dropout: float = 0.5,
) -> AlexNet:
    """AlexNet as in torchvision: 61,100,840 parameters for 1000 classes, PyTorch's default init.

    in_channels: default 3, or in_shape[0]. Images of 63x63 or more work (adaptive pooling).
    small_input (for 28x28 and 32x32 images; None: True when in_shape is at most 64x64): the
        first convolution is 3x3 with stride 1 (an 11x11 stride-4 filter would leave a 32x32
        image 7x7 at once), the three max pools are 2x2 and round up (ceil_mode), the adaptive
        pool gives 1x1 instead of 6x6, and the hidden Linear layers are 512 wide, not 4096.
        The layer names stay the same; only shapes change.
    """
    channels = input_channels("alexnet", in_shape, in_channels, default=3)
    return AlexNet(channels, num_classes, is_small_input(in_shape, small_input), dropout)
