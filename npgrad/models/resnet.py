"""ResNet (He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", 2015).

Instead of learning a mapping H(x), each block learns the residual F(x) = H(x) - x and adds its
input back: y = relu(F(x) + x). The identity path lets gradients flow through a hundred layers
unchanged, so deeper networks train better instead of worse (the "degradation problem").

Layer names, shapes and initialisation are torchvision's, so a torchvision state_dict loads:
conv1 bn1 layer1..layer4 (blocks with conv1 bn1 conv2 bn2 [conv3 bn3] [downsample.0/.1]) fc.
The Bottleneck strides in its 3x3 convolution, not its first 1x1 (torchvision's "ResNet v1.5").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import nn
from ..tensor import Tensor
from ..types import _size
from ._common import init_like_torchvision, input_channels, is_small_input, kaiming_normal_fan_out


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False)


class ResidualBlock(nn.Module):
    """y = relu(residual(x) + shortcut(x)); the shortcut is x itself, or `downsample(x)` when
    the block changes the shape (a strided 1x1 convolution and a BatchNorm2d)."""

    expansion: int  # the block's output channels are planes * expansion
    downsample: nn.Module | None
    relu: nn.ReLU
    residual: Callable[[Tensor], Tensor]  # the block's own layers

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(self.residual(x) + shortcut)


class BasicBlock(ResidualBlock):
    """Two 3x3 convolutions (ResNet-18/34): residual(x) = bn(conv(relu(bn(conv(x)))))."""

    expansion = 1  # the block's output channels are planes * expansion

    def __init__(self, in_channels: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1, self.bn1 = conv3x3(in_channels, planes, stride), nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2, self.bn2 = conv3x3(planes, planes), nn.BatchNorm2d(planes)
        self.downsample = downsample

    def residual(self, x: Tensor) -> Tensor:
        return self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))


class Bottleneck(ResidualBlock):
    """1x1 (reduce to `planes`) -> 3x3 (stride here) -> 1x1 (expand to 4 planes), for ResNet-50
    and deeper: the 3x3 convolution works on 4x fewer channels, so depth stays affordable."""

    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        out_channels = planes * self.expansion
        self.conv1, self.bn1 = conv1x1(in_channels, planes), nn.BatchNorm2d(planes)
        self.conv2, self.bn2 = conv3x3(planes, planes, stride), nn.BatchNorm2d(planes)
        self.conv3, self.bn3 = conv1x1(planes, out_channels), nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def residual(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        return self.bn3(self.conv3(x))


def make_layer(
    block: type[BasicBlock | Bottleneck], in_channels: int, planes: int, blocks: int, stride: int = 1
) -> nn.Sequential:
    """`blocks` blocks in a row; the first one applies the stride and changes the channels to
    planes * expansion, so its shortcut needs `downsample` when either changes."""
    out_channels = planes * block.expansion
    downsample = None
    if stride != 1 or in_channels != out_channels:
        downsample = nn.Sequential(conv1x1(in_channels, out_channels, stride), nn.BatchNorm2d(out_channels))
    layers = [block(in_channels, planes, stride, downsample)]
    layers += [block(out_channels, planes) for _ in range(1, blocks)]
    return nn.Sequential(*layers)


class ResNet(nn.Module):
    """stem (conv1 bn1 relu maxpool) -> layer1..layer4 -> global average pool -> fc.

    Each layer's first block halves the image (stride 2, except layer1) and widens the
    channels 64 -> 128 -> 256 -> 512 (times the block's expansion); when the shapes change, the
    shortcut becomes `downsample`, a strided 1x1 convolution and a BatchNorm2d.
    """

    def __init__(
        self,
        block: type[BasicBlock | Bottleneck],
        blocks_per_layer: Sequence[int],
        num_classes: int = 1000,
        in_channels: int = 3,
        small_input: bool = False,
    ) -> None:
        super().__init__()
        if small_input:
            self.conv1 = conv3x3(in_channels, 64)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1, self.relu = nn.BatchNorm2d(64), nn.ReLU()
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        widen = block.expansion
        self.layer1 = make_layer(block, 64, 64, blocks_per_layer[0])
        self.layer2 = make_layer(block, 64 * widen, 128, blocks_per_layer[1], stride=2)
        self.layer3 = make_layer(block, 128 * widen, 256, blocks_per_layer[2], stride=2)
        self.layer4 = make_layer(block, 256 * widen, 512, blocks_per_layer[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * widen, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet(
    block: type[BasicBlock | Bottleneck],
    blocks_per_layer: Sequence[int],
    num_classes: int = 1000,
    in_channels: int | None = None,
    *,
    in_shape: _size | None = None,
    small_input: bool | None = None,
) -> ResNet:
    """A ResNet of `block`s, blocks_per_layer[i] of them in layer i+1, initialised as in
    torchvision: convolutions kaiming_normal_(fan_out, relu), BatchNorm weight 1 and bias 0, fc
    PyTorch's default.

    in_channels: default 3, or in_shape[0]. Any image size works (adaptive pooling).
    small_input (for 28x28 and 32x32 images; None: True when in_shape is at most 64x64): conv1
        is 3x3 with stride 1 and the max pool is dropped (nn.Identity), as in the paper's CIFAR
        experiments, so layer1 sees the full image instead of a quarter of its side. The
        state_dict keys stay the same; only conv1's weight shape changes.
    """
    name = f"resnet{2 + sum(blocks_per_layer) * (3 if block is Bottleneck else 2)}"
    channels = input_channels(name, in_shape, in_channels, default=3)
    model = ResNet(block, blocks_per_layer, num_classes, channels, is_small_input(in_shape, small_input))
    init_like_torchvision(model, kaiming_normal_fan_out)
    return model


def resnet18(num_classes: int = 1000, in_channels: int | None = None, **options: Any) -> ResNet:
    """ResNet-18: BasicBlocks [2, 2, 2, 2]; 11,689,512 parameters, 1.8 GMACs at 224x224."""
    return resnet(BasicBlock, (2, 2, 2, 2), num_classes, in_channels, **options)


def resnet34(num_classes: int = 1000, in_channels: int | None = None, **options: Any) -> ResNet:
    """ResNet-34: BasicBlocks [3, 4, 6, 3]; 21,797,672 parameters."""
    return resnet(BasicBlock, (3, 4, 6, 3), num_classes, in_channels, **options)


def resnet50(num_classes: int = 1000, in_channels: int | None = None, **options: Any) -> ResNet:
    """ResNet-50: Bottlenecks [3, 4, 6, 3]; 25,557,032 parameters."""
    return resnet(Bottleneck, (3, 4, 6, 3), num_classes, in_channels, **options)
