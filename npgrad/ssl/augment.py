"""Augmentations for contrastive learning, each drawn per image but applied to the whole batch at
once (no Python loop over the images), with torchvision's names: RandomResizedCrop and
RandomErasing here; RandomAffine, RandomHorizontalFlip (npgrad.data.transforms) and
GaussianNoise (npgrad.models) beside them in simclr_augmentation()."""

import numpy as np

from ..data import _rng
from ..data.transforms import Compose, ImageTransform, RandomAffine, RandomHorizontalFlip, bilinear_sample
from ..models.autoencoder import GaussianNoise, box_masks


def _box_sizes(rng, n, height, width, scale, ratio):
    """Per image a box of area scale * H * W and aspect ratio (w / h) log-uniform in ratio,
    clipped to the image: (heights, widths) as floats."""
    area = rng.uniform(*scale, n) * height * width
    aspect = np.exp(rng.uniform(*np.log(ratio), n))
    return np.clip(np.sqrt(area / aspect), 1, height), np.clip(np.sqrt(area * aspect), 1, width)


class RandomResizedCrop(ImageTransform):
    """Cut a random box from each image (area a fraction `scale` of the image, aspect ratio in
    `ratio`) and resize it to size x size by bilinear sampling."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), generator=None):
        self.size, self.scale, self.ratio = int(size), tuple(scale), tuple(ratio)
        self.generator = _rng.seeded(generator)

    def transform_batch(self, batch):
        n, _, height, width = batch.shape
        rng = _rng.current(self.generator)
        box_h, box_w = _box_sizes(rng, n, height, width, self.scale, self.ratio)
        top, left = rng.uniform(0, height - box_h), rng.uniform(0, width - box_w)
        steps = (np.arange(self.size) + 0.5) / self.size  # output pixel centres, as fractions of the box
        y = top[:, None] + steps[None] * box_h[:, None] - 0.5  # (N, size)
        x = left[:, None] + steps[None] * box_w[:, None] - 0.5
        grid_y = np.broadcast_to(y[:, :, None], (n, self.size, self.size))
        grid_x = np.broadcast_to(x[:, None, :], (n, self.size, self.size))
        return bilinear_sample(batch, grid_y, grid_x, 0.0)

    def __repr__(self):
        return f"RandomResizedCrop(size={self.size}, scale={self.scale}, ratio={self.ratio})"


class RandomErasing(ImageTransform):
    """With probability p, set a random box of each image (area a fraction `scale`, aspect ratio
    in `ratio`) to `value`."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0, generator=None):
        self.p, self.scale, self.ratio, self.value = p, tuple(scale), tuple(ratio), value
        self.generator = _rng.seeded(generator)

    def transform_batch(self, batch):
        n, _, height, width = batch.shape
        rng = _rng.current(self.generator)
        box_h, box_w = (
            np.round(side).astype(np.int64) for side in _box_sizes(rng, n, height, width, self.scale, self.ratio)
        )
        top = (rng.random(n) * (height - box_h + 1)).astype(np.int64)
        left = (rng.random(n) * (width - box_w + 1)).astype(np.int64)
        erase = rng.random(n) < self.p
        boxes = box_masks(height, width, top, left, box_h, box_w) & erase[:, None, None, None]
        return np.where(boxes, np.float32(self.value), batch)

    def __repr__(self):
        return f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value})"


def simclr_augmentation(size=28, generator=None):
    """The two-view augmentation for small grey images: random resized crop (scale 0.3-1), flip,
    a small rotation and shift, Gaussian noise (std 0.1) and random erasing. One seed (or
    Generator) drives them all."""
    rng = _rng.seeded(generator)
    return Compose(
        [
            RandomResizedCrop(size, scale=(0.3, 1.0), generator=rng),
            RandomHorizontalFlip(generator=rng),
            RandomAffine(degrees=15, translate=(0.1, 0.1), generator=rng),
            GaussianNoise(0.1, generator=rng),
            RandomErasing(p=0.5, scale=(0.02, 0.2), generator=rng),
        ]
    )
