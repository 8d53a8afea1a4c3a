"""Multilayer perceptrons for images: flatten, then Linear-ReLU(-Dropout) blocks."""

import math

from .. import nn


def mlp(in_shape=(1, 28, 28), num_classes=10, hidden=(512, 256), dropout=0.2):
    """Flatten -> [Linear -> ReLU -> Dropout] per hidden width -> Linear to the classes.

    mlp(hidden=(1024, 512, 256), num_classes=24, dropout=0) is the 784-1024-512-256-24 MLP.
    """
    layers, features = [nn.Flatten()], math.prod(in_shape)
    for width in hidden:
        layers += [nn.Linear(features, width), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        features = width
    layers.append(nn.Linear(features, num_classes))
    return nn.Sequential(*layers)
