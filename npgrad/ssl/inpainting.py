"""Inpainting, the context encoder (Pathak et al., 2016): a square of every image is blanked,
and the encoder's features of what is left must be enough for the decoder to paint the square
back. Unlike a plain autoencoder it cannot copy: it has to know what the object looks like."""

from __future__ import annotations

import numpy as np

from .. import nn
from ..models.autoencoder import square_masks
from ..types import _generator
from .autoencoder import AutoencoderPretext


class ContextEncoder(AutoencoderPretext):
    """The autoencoder pretext with a hole_size x hole_size square of each input set to 0 at a
    random place; the loss weighs the hole's pixels 1 and the others outside_weight."""

    def __init__(
        self, encoder: nn.Module, hole_size: int = 12, outside_weight: float = 0.1, generator: _generator | None = None
    ) -> None:
        super().__init__(encoder, generator)
        self.hole_size, self.outside_weight = hole_size, outside_weight

    def corrupt(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        holes = np.broadcast_to(square_masks(images.shape, self.hole_size, self.rng()), images.shape)
        weights = np.where(holes, np.float32(1), np.float32(self.outside_weight))
        return np.where(holes, np.float32(0), images), weights
