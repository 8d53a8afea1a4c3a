"""Autoencoders: learn to reconstruct the input through a narrow bottleneck, an MLP one and a
convolutional one for 28x28 images; and the input corruptions that make a denoising or an
inpainting autoencoder out of either (train on corrupt(x) -> x).

    train = DataLoader(TensorDataset(x, x), 128, shuffle=True, batch_transform=GaussianNoise(0.3))

The corruption is a batch_transform: the DataLoader applies it to the inputs only, so the
targets stay clean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import nn
from ..data import _rng
from ..data.transforms import ImageTransform
from ..tensor import Tensor
from ..types import _generator, _size


class Autoencoder(nn.Module):
    """MLP autoencoder for images of in_shape (C, H, W): flatten -> hidden (ReLU) ... ->
    bottleneck -> ... hidden (ReLU) -> pixels (sigmoid), reshaped back to the input's shape."""

    def __init__(self, bottleneck: int = 32, hidden: Sequence[int] = (512, 256), in_shape: _size = (1, 28, 28)) -> None:
        super().__init__()
        self.in_shape, self.bottleneck = tuple(in_shape), bottleneck
        pixels, down, up = math.prod(in_shape), list(hidden), list(hidden)[::-1]
        self.encoder = nn.Sequential(
            nn.Flatten(), *mlp_layers([pixels, *down]), nn.Linear(([pixels] + down)[-1], bottleneck)
        )
        self.decoder = nn.Sequential(
            *mlp_layers([bottleneck, *up]),
            nn.Linear(([bottleneck] + up)[-1], pixels),
            nn.Sigmoid(),
            nn.Unflatten(1, self.in_shape),
        )

    def encode(self, x: Tensor) -> Tensor:
        """The bottleneck code, (N, bottleneck)."""
        if x.ndim != 4 or tuple(x.shape[1:]) != self.in_shape:
            raise ValueError(
                f"{type(self).__name__}: expected images of shape (N, {', '.join(map(str, self.in_shape))}), "
                f"got {tuple(x.shape)}"
            )
        return self.encoder(x)

    def decode(self, code: Tensor) -> Tensor:
        """Images in [0, 1] from codes."""
        return self.decoder(code)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))


def mlp_layers(widths: Sequence[int]) -> list[nn.Module]:
    """Linear + ReLU between consecutive widths."""
    layers: list[nn.Module] = []
    for width_in, width_out in zip(widths, widths[1:]):
        layers += [nn.Linear(width_in, width_out), nn.ReLU()]
    return layers


class ConvAutoencoder(Autoencoder):
    """Convolutional autoencoder for (N, channels, 28, 28): conv 32, 64 (4x4, stride 2, ReLU) ->
    Linear to the bottleneck; Linear -> 64x7x7 -> transposed convs -> sigmoid."""

    def __init__(self, bottleneck: int = 32, channels: int = 1) -> None:
        nn.Module.__init__(self)
        self.in_shape, self.bottleneck = (channels, 28, 28), bottleneck
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, 32, 4, 2, 1),
            nn.ReLU(),
            nn.Conv2d(32, 64, 4, 2, 1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, bottleneck),
        )
        self.decoder = nn.Sequential(
            nn.Linear(bottleneck, 64 * 7 * 7),
            nn.ReLU(),
            nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(32, channels, 4, 2, 1),
            nn.Sigmoid(),
        )


class GaussianNoise(ImageTransform):
    """x + N(0, std^2) noise, clipped to [0, 1]: the input corruption of a denoising autoencoder."""

    def __init__(self, std: float = 0.3, generator: _generator | None = None) -> None:
        self.std, self.generator = std, _rng.seeded(generator)

    def transform_batch(self, batch: np.ndarray) -> np.ndarray:
        noise = _rng.current(self.generator).standard_normal(batch.shape, dtype=np.float32)
        return np.clip(batch + np.float32(self.std) * noise, 0, 1)

    def __repr__(self) -> str:
        return f"GaussianNoise(std={self.std})"


def square_masks(shape: _size, size: int, generator: np.random.Generator | None = None) -> np.ndarray:
    """Boolean masks (N, 1, H, W) of shape (N, C, H, W)'s images, True on one size x size square
    per image at a uniformly random position."""
    n, _, height, width = shape
    if size > min(height, width):
        raise ValueError(f"square_masks: a {size}x{size} square does not fit {height}x{width} images")
    rng = _rng.current(generator)
    top, left = rng.integers(0, height - size + 1, n), rng.integers(0, width - size + 1, n)
    return box_masks(height, width, top, left, size, size)


def box_masks(
    height: int,
    width: int,
    top: np.ndarray,
    left: np.ndarray,
    box_height: int | np.ndarray,
    box_width: int | np.ndarray,
) -> np.ndarray:
    """Boolean masks (N, 1, H, W), True on image i's box of box_height[i] x box_width[i] pixels
    whose top-left pixel is (top[i], left[i]) (scalars or arrays of N)."""
    rows, cols = np.arange(height), np.arange(width)
    inside_rows = (rows >= top[:, None]) & (rows < (top + box_height)[:, None])
    inside_cols = (cols >= left[:, None]) & (cols < (left + box_width)[:, None])
    return (inside_rows[:, :, None] & inside_cols[:, None, :])[:, None]


class MaskSquare(ImageTransform):
    """Set a random size x size square of each image to `value`: the input corruption of an
    inpainting autoencoder (which learns to fill the square in from the rest)."""

    def __init__(self, size: int = 12, value: float = 0.0, generator: _generator | None = None) -> None:
        self.size, self.value, self.generator = size, value, _rng.seeded(generator)

    def transform_batch(self, batch: np.ndarray) -> np.ndarray:
        masks = square_masks(batch.shape, self.size, _rng.current(self.generator))
        return np.where(masks, np.float32(self.value), batch)

    def __repr__(self) -> str:
        return f"MaskSquare(size={self.size}, value={self.value})"
