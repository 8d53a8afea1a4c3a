"""Rotation prediction (Gidaris et al., 2018): every image is shown turned by 0, 90, 180 and
270 degrees, and a linear head on the encoder's features says which. To tell which way is up
the encoder has to find the object and its parts."""

from __future__ import annotations

import numpy as np

from .. import nn, tensor
from ..nn import functional as F
from ..tensor import Tensor
from ..types import _generator
from .method import SelfSupervised, classification_logs, image_array

ANGLES = (0, 90, 180, 270)


def rotations(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All four rotations of every image, (4N, C, H, W) (each a whole batch turned counter-
    clockwise by 0, 90, 180, 270 degrees), and their labels 0..3."""
    if images.shape[2] != images.shape[3]:
        raise ValueError(f"rotations: expected square images, got {images.shape[2]}x{images.shape[3]}")
    turned = np.concatenate([np.rot90(images, k, axes=(2, 3)) for k in range(len(ANGLES))])
    return np.ascontiguousarray(turned), np.repeat(np.arange(len(ANGLES)), len(images))


class Rotation(SelfSupervised):
    """Encoder + head: which of the four rotations an image shows. The head is Linear(feature_dim,
    4), or with `hidden` an MLP (Linear, ReLU, Linear) that leaves the encoder's last layer less
    tied to the pretext task."""

    def __init__(self, encoder: nn.Module, hidden: int | None = None, generator: _generator | None = None) -> None:
        super().__init__(encoder, generator)
        classes = len(ANGLES)
        if hidden is None:
            self.head = nn.Linear(self.feature_dim, classes)
        else:
            self.head = nn.Sequential(nn.Linear(self.feature_dim, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def pretext_batch(self, images: Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return rotations(image_array(images))

    def pretext_loss(self, images: Tensor | np.ndarray) -> tuple[Tensor, dict[str, float]]:
        inputs, targets = self.pretext_batch(images)
        logits = self.head(self.encoder(tensor(inputs)))
        loss = F.cross_entropy(logits, tensor(targets))
        return loss, classification_logs(loss, logits, targets)
