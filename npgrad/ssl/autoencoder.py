"""The autoencoder as a pretext task: rebuild the whole image from the encoder's features, with
the convolutional decoder of npgrad.models.ConvAutoencoder. The baseline that every other
method is compared with: it keeps what is needed to redraw the pixels, which need not be
what tells the classes apart."""

from __future__ import annotations

import numpy as np

from .. import nn, tensor
from ..models import ConvAutoencoder
from ..tensor import Tensor
from ..types import _generator
from .method import SelfSupervised, image_array


class AutoencoderPretext(SelfSupervised):
    """Encoder + ConvAutoencoder's decoder (features -> 64x7x7 -> transposed convs -> sigmoid),
    for 28x28 images in [0, 1]. The loss is the mean squared error per pixel, each pixel weighted
    by pixel_weights (all 1 here; the context encoder weights its hole)."""

    def __init__(self, encoder: nn.Module, generator: _generator | None = None) -> None:
        super().__init__(encoder, generator)
        autoencoder = ConvAutoencoder(bottleneck=self.feature_dim, channels=getattr(encoder, "channels", 1))
        self.decoder = autoencoder.decoder

    def corrupt(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The input and the weight of every pixel in the loss."""
        return images, np.ones_like(images)

    def pretext_batch(self, images: Tensor | np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        images = image_array(images)
        if images.shape[2:] != (28, 28):
            raise ValueError(f"{type(self).__name__}: the decoder draws 28x28 images, got {images.shape[2:]}")
        corrupted, weights = self.corrupt(images)
        return corrupted, (images, weights)

    def reconstruct(self, inputs: np.ndarray) -> Tensor:
        return self.decoder(self.encoder(tensor(inputs)))

    def pretext_loss(self, images: Tensor | np.ndarray) -> tuple[Tensor, dict[str, float]]:
        inputs, (clean, weights) = self.pretext_batch(images)
        squared = (self.reconstruct(inputs) - tensor(clean)) ** 2
        loss = (squared * tensor(weights)).sum() / float(weights.sum())
        return loss, {"loss": float(loss.item())}
