"""Multilayer perceptrons for images: flatten, then Linear-ReLU(-Dropout) blocks."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .. import nn
from ..types import _size


def mlp(
    in_shape: _size = (1, 28, 28), num_classes: int = 10, hidden: Sequence[int] = (512, 256), dropout: float = 0.2
) -> nn.Sequential:
    """Flatten -> [Linear -> ReLU -> Dropout] per hidden width -> Linear to the classes.

    mlp(hidden=(1024, 512, 256), num_classes=24, dropout=0) is the 784-1024-512-256-24 MLP.
    """
    layers: list[nn.Module] = [nn.Flatten()]
    features = math.prod(in_shape)
    for width in hidden:
        layers += [nn.Linear(features, width), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        features = width
    layers.append(nn.Linear(features, num_classes))
    return nn.Sequential(*layers)
