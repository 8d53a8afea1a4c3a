"""GoogLeNet, or Inception v1 (Szegedy et al., "Going Deeper with Convolutions", 2014).

An Inception block looks at its input at several scales at once: a 1x1, a 3x3 and a "5x5"
convolution and a 3x3 max pool run side by side and their outputs are concatenated along the
channels. Cheap 1x1 convolutions first reduce the channels the larger filters see, which makes
a 22-layer network with 12x fewer parameters than AlexNet.

Layer names, shapes and initialisation follow torchvision, so a torchvision state_dict loads:
every convolution is a BasicConv2d (conv without bias -> BatchNorm2d(eps=0.001) -> ReLU; the
BatchNorm is torchvision's addition to the paper), and the "5x5" branch uses a 3x3 kernel, as
torchvision's does (a known quirk kept for its weights), which is what makes the parameter
count 6,624,904.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from .. import cat, nn
from ..tensor import Tensor
from ..types import _size
from ._common import init_like_torchvision, input_channels, is_small_input

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])

# name: (in, 1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5", pool projection), the paper's Table 1
INCEPTIONS = {
    "inception3a": (192, 64, 96, 128, 16, 32, 32),
    "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64),
    "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64),
    "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128),
    "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}


class BasicConv2d(nn.Module):
    """conv (no bias: the BatchNorm's shift replaces it) -> BatchNorm2d(eps=0.001) -> ReLU."""

    def __init__(self, in_channels: int, out_channels: int, **conv_options: Any) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **conv_options)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """Four branches on the same input, concatenated: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 ("5x5") |
    3x3 max pool -> 1x1. Every branch keeps the image size, so the outputs stack as channels."""

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3_reduce: int,
        ch3x3: int,
        ch5x5_reduce: int,
        ch5x5: int,
        pool_proj: int,
    ) -> None:
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3_reduce, kernel_size=1),
            BasicConv2d(ch3x3_reduce, ch3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5_reduce, kernel_size=1),
            BasicConv2d(ch5x5_reduce, ch5x5, kernel_size=3, padding=1),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class InceptionAux(nn.Module):
    """An auxiliary classifier on an intermediate block's output: its loss (weighted 0.3 in the
    paper) sends extra gradient into the middle of the network during training.
    4x4 average pool -> 1x1 conv (128) -> flatten -> Linear(1024) -> ReLU -> Dropout(0.7) -> Linear."""

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.7) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d((4, 4))
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(self.pool(x)).flatten(1)
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


class GoogLeNet(nn.Module):
    """stem (conv1 maxpool1 conv2 conv3 maxpool2) -> 9 Inception blocks in 3 groups with max
    pools between them -> global average pool -> dropout -> fc.

    With aux_logits, training mode returns GoogLeNetOutputs(logits, aux_logits2, aux_logits1)
    (as torchvision does; combine the losses yourself); eval mode returns the logits only.
    """

    # set by name in __init__ (INCEPTIONS)
    inception3a: Inception
    inception3b: Inception
    inception4a: Inception
    inception4b: Inception
    inception4c: Inception
    inception4d: Inception
    inception4e: Inception
    inception5a: Inception
    inception5b: Inception

    def __init__(
        self,
        num_classes: int = 1000,
        in_channels: int = 3,
        aux_logits: bool = False,
        small_input: bool = False,
        dropout: float = 0.2,
        dropout_aux: float = 0.7,
    ) -> None:
        super().__init__()
        if small_input:
            self.conv1 = BasicConv2d(in_channels, 64, kernel_size=3, padding=1)
        else:
            self.conv1 = BasicConv2d(in_channels, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.Identity() if small_input else nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name in ("inception3a", "inception3b"):
            setattr(self, name, Inception(*INCEPTIONS[name]))
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        for name in ("inception4a", "inception4b", "inception4c", "inception4d", "inception4e"):
            setattr(self, name, Inception(*INCEPTIONS[name]))
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        for name in ("inception5a", "inception5b"):
            setattr(self, name, Inception(*INCEPTIONS[name]))
        self.aux_logits = aux_logits
        if aux_logits:  # on the outputs of inception4a (512 channels) and inception4d (528)
            self.aux1 = InceptionAux(512, num_classes, dropout_aux)
            self.aux2 = InceptionAux(528, num_classes, dropout_aux)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x: Tensor) -> Tensor | GoogLeNetOutputs:
        x = self.maxpool2(self.conv3(self.conv2(self.maxpool1(self.conv1(x)))))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux_logits and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux_logits and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        logits = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        return GoogLeNetOutputs(logits, aux2, aux1) if aux1 is not None else logits


def googlenet(
    num_classes: int = 1000,
    in_channels: int | None = None,
    *,
    in_shape: _size | None = None,
    small_input: bool | None = None,
    aux_logits: bool = False,
    dropout: float = 0.2,
    dropout_aux: float = 0.7,
) -> GoogLeNet:
    """GoogLeNet as in torchvision: 6,624,904 parameters for 1000 classes without the auxiliary
    classifiers (the default here, since they only help training), 13,004,888 with them
    (aux_logits=True, torchvision's default). Initialised as torchvision does: convolution and
    Linear weights from N(0, 0.01^2) truncated to [-2, 2], BatchNorm weight 1 and bias 0.

    in_channels: default 3, or in_shape[0]. Images of 15x15 or more work (adaptive pooling).
    small_input (for 28x28 and 32x32 images; None: True when in_shape is at most 64x64): conv1
        is 3x3 with stride 1 and maxpool1 is dropped (nn.Identity), so the Inception blocks see
        16x16 (32x32 input) or 14x14 (28x28) instead of an image already shrunk 8 times.
    """
    channels = input_channels("googlenet", in_shape, in_channels, default=3)
    small = is_small_input(in_shape, small_input)
    model = GoogLeNet(num_classes, channels, aux_logits, small, dropout, dropout_aux)
    truncated_normal = lambda weight: nn.init.trunc_normal_(weight, 0.0, 0.01, -2.0, 2.0)  # noqa: E731
    init_like_torchvision(model, truncated_normal, truncated_normal, zero_biases=False)
    return model
