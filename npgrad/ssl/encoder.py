"""The encoder every self-supervised method trains, and the interface they share.

An encoder is any nn.Module that maps images (N, C, H, W) to features (N, feature_dim) and has
a `feature_dim` attribute. The methods take one in their constructor and keep it as
`.encoder`, so that one architecture can be pretrained by every method and then judged by the
same linear probe. ConvEncoder ends in a global average pool, so it takes whole images as well
as the small patches and tiles that context prediction and jigsaw feed it.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import cat, nn
from ..tensor import Tensor


class ConvEncoder(nn.Module):
    """3x3 convolutions of the given widths, each followed by batch norm and ReLU, a 2x2
    max-pool after each but the last, then a global average pool: (N, channels, H, W) -> (N, widths[-1]), for any H, W >= 2 ** (len(widths) - 1)."""

    def __init__(self, channels: int = 1, widths: Sequence[int] = (16, 32, 64)) -> None:
        super().__init__()
        layers, width_in = [], channels
        for position, width in enumerate(widths):
            layers += [nn.Conv2d(width_in, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
            if position < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            width_in = width
        self.channels, self.feature_dim, self.min_size = channels, widths[-1], 2 ** (len(widths) - 1)
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def check_images(self, images: Tensor) -> None:
        """A ValueError naming the expected shape unless images is (N, channels, H, W), H, W >= min_size."""
        if images.ndim != 4 or images.shape[1] != self.channels or min(images.shape[2:]) < self.min_size:
            raise ValueError(
                f"ConvEncoder: expected images (N, {self.channels}, H, W) with H, W >= {self.min_size}, "
                f"got {tuple(images.shape)}"
            )

    def forward(self, images: Tensor) -> Tensor:
        self.check_images(images)
        return self.features(images)

    def every_stage_features(self, images: Tensor) -> Tensor:
        """The global average of every stage's output (after its ReLU, before its pool), side by
        side: (N, sum(widths)). Its last widths[-1] columns are forward(images). A pretext task
        shapes the last stage most to itself, so a probe on every stage judges the features an
        encoder learned, not only how far its last layer turned to the pretext."""
        self.check_images(images)
        pooled = []
        for layer in list(self.features)[:-2]:  # the stages, without the final pool and flatten
            images = layer(images)
            if isinstance(layer, nn.ReLU):
                pooled.append(images.mean(dim=(2, 3)))
        return cat(pooled, dim=1)


def check_encoder(encoder: nn.Module) -> int:
    """The encoder's feature_dim, or a TypeError saying what the interface asks for."""
    if not isinstance(encoder, nn.Module) or not isinstance(getattr(encoder, "feature_dim", None), int):
        raise TypeError(
            "self-supervised method: expected an encoder nn.Module with an int feature_dim "
            f"(images (N, C, H, W) -> (N, feature_dim)), got {type(encoder).__name__}"
        )
    return encoder.feature_dim
